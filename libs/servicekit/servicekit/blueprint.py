"""flask-smorest Blueprint whose JSON bodies keep exact decimals."""

from __future__ import annotations

import json
from decimal import Decimal

import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class DecimalJSONParser(FlaskParser):
    """webargs parser reading JSON numbers with a fraction as Decimal, never as float, and
    rejecting unknown query parameters (a misspelt filter must not silently match everything)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error: {exc.reason}", "", 0) from exc
        return json.loads(text, parse_float=Decimal)


class Blueprint(flask_smorest.Blueprint):
    """Use this instead of flask_smorest.Blueprint in every service."""

    ARGUMENTS_PARSER = DecimalJSONParser()
