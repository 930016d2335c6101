"""The template engine: sandboxed, escaping, strict about unknown variables."""

import pytest

from campaign_service.domain.errors import TemplateProblem
from campaign_service.domain.links import PublicUrls, decorate, link_id_for
from campaign_service.domain.rendering import CompiledContent, check_template
from campaign_service.domain.templates import Template, text_from_html

pytestmark = pytest.mark.unit


def compiled(subject="Hi {{ first_name }}", text="Hello {{ first_name }}", html=None, **kw):
    return CompiledContent(
        subject=subject,
        text=text,
        html=html,
        preheader=kw.get("preheader"),
        defaults=kw.get("defaults", {}),
    )


def test_html_escapes_customer_data_and_text_keeps_it():
    content = compiled(html="<p>Hello {{ first_name }}</p>")
    out = content.render({"first_name": "<script>alert(1)</script>"})
    assert out.html == "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert out.text == "Hello <script>alert(1)</script>"


def test_subject_loses_line_breaks_so_headers_cannot_be_injected():
    out = compiled().render({"first_name": "Mei\r\nBcc: victim@example.com"})
    assert "\n" not in out.subject and "\r" not in out.subject
    assert out.subject == "Hi Mei Bcc: victim@example.com"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ first_name.__class__.__init__.__globals__ }}",
        "{{ attributes.__class__ }}",
        "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_refuses_unsafe_access_at_save_time(source):
    with pytest.raises(TemplateProblem, match=r"not allowed|unsafe|access"):
        check_template({"subject": "s", "text": source}, {})


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 100000000 }}",
        "{{ 100000000 * first_name }}",
        "{{ 10 ** 100000 }}",
        "{% for i in range(10**9) %}{% endfor %}",
        "{% for i in range(5000) %}{% endfor %}",
    ],
)
def test_work_that_would_stall_a_worker_is_refused(source):
    with pytest.raises(TemplateProblem, match="not allowed"):
        check_template({"subject": "s", "text": source}, {})


def test_modest_loops_and_repeats_still_work():
    check_template(
        {"subject": "s", "text": "{% for i in range(3) %}{{ '-' * 10 }}{% endfor %}"}, {}
    )


def test_unknown_variables_are_named_at_save_time():
    with pytest.raises(TemplateProblem) as info:
        check_template({"subject": "Hi {{ frist_name }}", "text": "{{ colour }} {{ name }}"}, {})
    assert info.value.details["unknown_variables"] == ["colour", "frist_name"]
    assert "frist_name" in str(info.value)


def test_a_default_makes_a_custom_variable_known():
    check_template({"subject": "s", "text": "{{ season }}"}, {"season": "spring"})
    out = compiled(text="{{ season }}!", defaults={"season": "spring"}).render({})
    assert out.text == "spring!"


def test_defaults_fill_missing_or_empty_values():
    content = compiled(defaults={"first_name": "friend"})
    assert content.render({"first_name": ""}).subject == "Hi friend"
    assert content.render({"first_name": "Mei"}).subject == "Hi Mei"
    assert compiled().render({}).subject == "Hi"


def test_syntax_errors_name_the_part_and_line():
    with pytest.raises(TemplateProblem, match=r"text: line 2"):
        check_template({"subject": "s", "text": "ok\n{% if %}"}, {})


def test_includes_and_imports_are_refused():
    with pytest.raises(TemplateProblem, match="include"):
        check_template({"subject": "s", "text": "{% include 'x' %}"}, {})


def test_template_derives_text_from_html_and_checks_on_update():
    template = Template.create(
        name="t", subject="Hi", html='<p>Hi {{ first_name }}</p><a href="https://a.example">A</a>'
    )
    assert "Hi {{ first_name }}" in template.text and "A (https://a.example)" in template.text
    with pytest.raises(TemplateProblem):
        template.update({"subject": "{{ nope }}"})
    assert text_from_html("<p>a &amp; b</p>") == "a & b\n"


def _urls():
    return PublicUrls(
        click=lambda link_id: f"https://mms.test/r/c/TOKEN-{link_id}",
        pixel="https://mms.test/r/o/PIX.gif",
        unsubscribe="https://mms.test/unsubscribe/UNSUB",
        survey="https://mms.test/f/SURVEY",
    )


def test_links_are_tracked_footer_and_pixel_added():
    out = compiled(
        text="Shop: https://shop.example.com/tea?a=1. Bye",
        html='<body><a href="https://shop.example.com/tea?a=1&amp;b=2">x</a>'
        '<a href="mailto:hi@example.com">m</a></body>',
        preheader="Spring!",
    ).render({})
    decorated = decorate(
        out,
        _urls(),
        base_url="https://mms.test",
        add_unsubscribe_footer=True,
        add_survey_link=True,
    )
    text_id = link_id_for("https://shop.example.com/tea?a=1")
    html_id = link_id_for("https://shop.example.com/tea?a=1&b=2")
    assert f"https://mms.test/r/c/TOKEN-{text_id}. Bye" in decorated.text
    assert decorated.links == {
        text_id: "https://shop.example.com/tea?a=1",
        html_id: "https://shop.example.com/tea?a=1&b=2",
    }
    assert 'href="mailto:hi@example.com"' in decorated.html
    assert "https://mms.test/unsubscribe/UNSUB" in decorated.text
    assert "https://mms.test/unsubscribe/UNSUB" in decorated.html
    assert "https://mms.test/f/SURVEY" in decorated.html
    assert decorated.html.index("PIX.gif") < decorated.html.index("</body>")
    assert "Spring!" in decorated.html


def test_unsubscribe_and_survey_links_are_not_wrapped():
    out = compiled(text="{{ unsubscribe_url }} {{ survey_url }}").render(
        {"unsubscribe_url": "https://mms.test/unsubscribe/U", "survey_url": "https://mms.test/f/S"}
    )
    decorated = decorate(
        out,
        _urls(),
        base_url="https://mms.test",
        add_unsubscribe_footer=False,
        add_survey_link=False,
    )
    assert decorated.text == "https://mms.test/unsubscribe/U https://mms.test/f/S"
    assert decorated.links == {}
