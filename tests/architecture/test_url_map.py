"""Splitting voting's, positions' and elections' views into modules of one job moved no
address.

Each domain keeps one blueprint; the modules that hold its pages register their routes on it.
So every rule, its endpoint name (what ``url_for`` calls across ``portal/`` and the templates
use) and its methods are exactly those recorded here before any view moved, and each
blueprint still runs its area check, its membership guard and its template helpers on every
page. A route added or renamed on purpose is added or renamed here too (since: the officers'
``/dates``, moving an election's dates).
"""

from __future__ import annotations

from flask import Flask

BLUEPRINTS = ("voting", "receipts", "positions", "elections")

RULES = [
    ("/areas/<area_slug>/elections/", "elections.index", "GET"),
    ("/areas/<area_slug>/elections/<int:election_id>", "elections.election", "GET"),
    ("/areas/<area_slug>/elections/<int:election_id>/ballot", "elections.ballot", "GET,POST"),
    ("/areas/<area_slug>/elections/<int:election_id>/ballot/check", "elections.check", "GET"),
    ("/areas/<area_slug>/elections/<int:election_id>/ballot/confirm", "elections.confirm", "POST"),
    ("/areas/<area_slug>/elections/<int:election_id>/ballots.blt", "elections.ballots_blt", "GET"),
    (
        "/areas/<area_slug>/elections/<int:election_id>/close-nominations",
        "elections.close_nominations",
        "POST",
    ),
    ("/areas/<area_slug>/elections/<int:election_id>/count", "elections.count_now", "POST"),
    ("/areas/<area_slug>/elections/<int:election_id>/dates", "elections.move_dates", "POST"),
    ("/areas/<area_slug>/elections/<int:election_id>/nominations", "elections.nominate", "POST"),
    (
        "/areas/<area_slug>/elections/<int:election_id>/nominations/<int:nomination_id>/accept",
        "elections.accept",
        "GET,POST",
    ),
    (
        "/areas/<area_slug>/elections/<int:election_id>/nominations/<int:nomination_id>/second",
        "elections.second",
        "POST",
    ),
    (
        "/areas/<area_slug>/elections/<int:election_id>/nominations/<int:nomination_id>/withdraw",
        "elections.withdraw",
        "GET,POST",
    ),
    ("/areas/<area_slug>/elections/<int:election_id>/receipt", "elections.receipt", "GET,POST"),
    ("/areas/<area_slug>/elections/<int:election_id>/results", "elections.results", "GET"),
    (
        "/areas/<area_slug>/elections/<int:election_id>/results/publish",
        "elections.publish_result",
        "GET,POST",
    ),
    (
        "/areas/<area_slug>/elections/<int:election_id>/scrutineers",
        "elections.scrutineers",
        "GET,POST",
    ),
    ("/areas/<area_slug>/elections/<int:election_id>/scrutiny", "elections.scrutineer", "GET"),
    (
        "/areas/<area_slug>/elections/<int:election_id>/scrutiny/ballots",
        "elections.open_ballots",
        "POST",
    ),
    (
        "/areas/<area_slug>/elections/<int:election_id>/scrutiny/passphrase",
        "elections.set_scrutineer_passphrase",
        "POST",
    ),
    ("/areas/<area_slug>/elections/new", "elections.new", "GET,POST"),
    ("/areas/<area_slug>/positions", "positions.positions", "GET"),
    ("/areas/<area_slug>/positions/<int:position_id>", "positions.position", "GET"),
    (
        "/areas/<area_slug>/positions/<int:position_id>/amendments",
        "positions.propose_amendment",
        "POST",
    ),
    (
        "/areas/<area_slug>/positions/<int:position_id>/amendments/<int:amendment_id>/accept",
        "positions.accept_amendment",
        "POST",
    ),
    (
        "/areas/<area_slug>/positions/<int:position_id>/amendments/<int:amendment_id>/reject",
        "positions.reject_amendment",
        "POST",
    ),
    (
        "/areas/<area_slug>/positions/<int:position_id>/amendments/<int:amendment_id>/vote",
        "positions.amendment_vote",
        "GET,POST",
    ),
    ("/areas/<area_slug>/positions/<int:position_id>/comments", "positions.comment", "POST"),
    (
        "/areas/<area_slug>/positions/<int:position_id>/comments/<int:comment_id>/resolve",
        "positions.resolve_comment",
        "POST",
    ),
    (
        "/areas/<area_slug>/positions/<int:position_id>/consultation",
        "positions.open_consultation",
        "POST",
    ),
    ("/areas/<area_slug>/positions/<int:position_id>/edit", "positions.edit", "GET,POST"),
    ("/areas/<area_slug>/positions/<int:position_id>/history", "positions.history", "GET"),
    ("/areas/<area_slug>/positions/<int:position_id>/lead", "positions.change_lead", "POST"),
    (
        "/areas/<area_slug>/positions/<int:position_id>/redraft",
        "positions.return_to_drafting",
        "POST",
    ),
    ("/areas/<area_slug>/positions/<int:position_id>/vote", "positions.open_vote", "GET,POST"),
    ("/areas/<area_slug>/positions/new", "positions.new_position", "GET,POST"),
    ("/areas/<area_slug>/proposals", "positions.proposals", "GET"),
    ("/areas/<area_slug>/proposals/<int:proposal_id>", "positions.proposal", "GET"),
    ("/areas/<area_slug>/proposals/<int:proposal_id>/documents", "positions.add_documents", "POST"),
    (
        "/areas/<area_slug>/proposals/<int:proposal_id>/documents/<int:document_id>",
        "positions.document",
        "GET",
    ),
    ("/areas/<area_slug>/proposals/new", "positions.new_proposal", "GET,POST"),
    ("/areas/<area_slug>/votes/", "voting.index", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>", "voting.vote", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>/ballots.csv", "voting.ballots_csv", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>/cancel", "voting.cancel_vote", "POST"),
    ("/areas/<area_slug>/votes/<int:vote_id>/cast/<ods_code>", "voting.cast", "GET,POST"),
    ("/areas/<area_slug>/votes/<int:vote_id>/cast/<ods_code>/check", "voting.check", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>/cast/<ods_code>/confirm", "voting.confirm", "POST"),
    ("/areas/<area_slug>/votes/<int:vote_id>/cast/<ods_code>/receipt", "voting.receipt", "GET"),
    (
        "/areas/<area_slug>/votes/<int:vote_id>/cast/<ods_code>/receipt/email",
        "voting.email_receipt",
        "POST",
    ),
    ("/areas/<area_slug>/votes/<int:vote_id>/conflicts", "voting.declare_conflict", "POST"),
    (
        "/areas/<area_slug>/votes/<int:vote_id>/conflicts/<int:declaration_id>",
        "voting.rule_on_conflict",
        "POST",
    ),
    ("/areas/<area_slug>/votes/<int:vote_id>/edit", "voting.edit", "GET,POST"),
    ("/areas/<area_slug>/votes/<int:vote_id>/open", "voting.open_check", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>/open", "voting.open_vote", "POST"),
    (
        "/areas/<area_slug>/votes/<int:vote_id>/proxies/<int:proxy_id>/revoke",
        "voting.revoke_proxy",
        "POST",
    ),
    ("/areas/<area_slug>/votes/<int:vote_id>/proxy/<ods_code>", "voting.name_proxy", "POST"),
    ("/areas/<area_slug>/votes/<int:vote_id>/record.json", "voting.record_json", "GET"),
    ("/areas/<area_slug>/votes/<int:vote_id>/results", "voting.results", "GET"),
    ("/areas/<area_slug>/votes/interests", "voting.interests", "GET,POST"),
    ("/areas/<area_slug>/votes/new", "voting.new", "GET,POST"),
    ("/receipts", "receipts.receipt_check", "GET,POST"),
]

# Registered on the blueprint, so they run before (or for) every one of its pages, whichever
# module the page lives in.
HOOKS = {
    "voting": (["_load_visible_area", "_require_group_member"], ["_helpers"]),
    "positions": (["_load_visible_area", "_require_group_member"], ["_helpers"]),
    "elections": (["_load_visible_area", "_require_group_member"], ["_helpers"]),
    "receipts": ([], []),
}


def test_every_rule_keeps_its_address_endpoint_and_methods(app: Flask) -> None:
    rules = sorted(
        (rule.rule, rule.endpoint, ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in BLUEPRINTS
    )
    assert rules == RULES


def test_each_blueprint_keeps_its_guards_and_helpers(app: Flask) -> None:
    for name, (guards, helpers) in HOOKS.items():
        assert [hook.__name__ for hook in app.before_request_funcs.get(name, [])] == guards
        processors = app.template_context_processors.get(name, [])
        assert [
            hook.__name__
            for hook in processors
            if hook.__name__ != "_default_template_ctx_processor"
        ] == helpers
