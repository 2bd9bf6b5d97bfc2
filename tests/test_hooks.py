"""The test-only routes of tests/hooks.py stay out of the product, and declare their access like
every product route (tests/test_access.py checks only the product's URL map)."""

from __future__ import annotations

from flask import Flask

from tests import hooks
from workspace.core.access import ACCESS_RULES


def test_the_product_serves_no_test_hook(loose_app: Flask) -> None:
    rules = [rule.rule for rule in loose_app.url_map.iter_rules()]
    assert [rule for rule in rules if rule.startswith(hooks.PREFIX)] == []
    assert [endpoint for endpoint in loose_app.view_functions if endpoint.startswith(f"{hooks.blueprint.name}.")] == []


def test_every_test_hook_declares_who_may_use_it() -> None:
    bare = Flask(__name__)
    bare.register_blueprint(hooks.blueprint)
    declared = {
        endpoint: getattr(view, "access_rule", None)
        for endpoint, view in bare.view_functions.items()
        if endpoint != "static"
    }
    assert declared == {"test_hooks.slow_query": "public"}
    assert set(declared.values()) <= set(ACCESS_RULES)
