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
    rejecting unknown query parameters (a misspelt filter must not silently match everything)
    and single-valued ones given more than once."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def load_querystring(self, req, schema):
        # A single-valued parameter given more than once (?cursor=a&cursor=b) is refused, never
        # silently read as its first value: which one the client meant is anybody's guess.
        proxy = super().load_querystring(req, schema)
        repeated = sorted(
            key
            for key in req.args
            if key not in proxy.multiple_keys and len(req.args.getlist(key)) > 1
        )
        if repeated:
            raise ma.ValidationError({key: ["Given more than once."] for key in repeated})
        return proxy

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        # A body that is not UTF-8 raises UnicodeDecodeError, which webargs answers as invalid
        # JSON (400). Never turn it into a JSONDecodeError with an empty document: webargs reads
        # that as "no body", and an operation whose fields are all optional then ran on {}.
        text = req.get_data(cache=True).decode("utf-8")
        return json.loads(text, parse_float=Decimal)


class Blueprint(flask_smorest.Blueprint):
    """Use this instead of flask_smorest.Blueprint in every service."""

    ARGUMENTS_PARSER = DecimalJSONParser()
