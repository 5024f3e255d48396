"""The month reviewed (analysis.review): loss reasons, biggest and slipped deals, concentration on
the tiny and funnel fixtures, and the brief's risk and action rules on hand-made numbers.
Every expected value is worked out by hand from the fixture rows quoted beside it."""

from __future__ import annotations

import itertools
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.review import (
    NO_REASON,
    aged_open_deals,
    biggest_deals,
    concentration,
    find_risks,
    loss_reasons,
    lost_before,
    quota_ahead,
    recommend,
    rules_markdown,
    slipped_deals,
)
from conftest import FIXTURES, TINY

JAN, FEB, MARCH = (pd.Period(m, "M") for m in ("2026-01", "2026-02", "2026-03"))


@pytest.fixture(scope="module")
def tiny_plus(tmp_path_factory):
    """tiny, with one more lost deal in the south team in February and no loss reason."""
    path = tmp_path_factory.mktemp("review") / "tiny"
    shutil.copytree(TINY, path)
    with (path / "opportunities.csv").open("a", encoding="utf-8") as f:
        f.write(
            "o10,a3,r3,,2026-01-20 09:00:00,2026-02-10,2026-02-10 10:00:00,closed_lost,10000,"
            "CRM Suite,new_business,\n"
        )
    return load_dataset(path)


@pytest.fixture(scope="module")
def funnel_slips(tmp_path_factory):
    """The funnel fixture with its snapshots, plus: p5 recorded on 02-23 as due 03-28 (amount
    55, 60 today) and a deal p7 due 03-20 at the start of March, lost only on 04-05."""
    path = tmp_path_factory.mktemp("review") / "funnel"
    shutil.copytree(FIXTURES / "funnel", path)
    snaps = (path / "snapshots.csv.txt").read_text(encoding="utf-8")
    (path / "snapshots.csv.txt").unlink()
    snaps += (
        "2026-02-23,p5,proposal,55,2026-03-28\n"
        "2026-02-23,p7,negotiation,70,2026-03-20\n"
        "2026-03-30,p7,negotiation,70,2026-04-10\n"
    )
    (path / "opportunity_snapshots.csv").write_text(snaps, encoding="utf-8")
    with (path / "opportunities.csv").open("a", encoding="utf-8") as f:
        f.write(
            "p7,a1,r2,,2026-02-01 09:00:00,2026-04-10,2026-04-05 09:00:00,closed_lost,70,"
            "CRM Suite,new_business,price\n"
        )
    return load_dataset(path)


def test_loss_reasons_team_against_company(tiny_plus):
    # February: o3 (north, r1, 30,000, price) and o10 (south, r3, 10,000, no reason) were lost;
    # in the three months before, only o4 (north, January, 25,000, competitor)
    north = loss_reasons(tiny_plus, FEB, "north").set_index("reason")
    assert list(north.index) == ["price"]
    assert north.loc["price", "deals"] == 1 and north.loc["price", "amount"] == 30_000
    assert north.loc["price", "share"] == 1.0
    assert north.loc["price", "share_before"] == 0.0  # before, all of north's losses: competitor
    assert north.loc["price", "company_share"] == pytest.approx(30_000 / 40_000)
    south = loss_reasons(tiny_plus, FEB, "south").set_index("reason")
    assert list(south.index) == [NO_REASON]
    assert south.loc[NO_REASON, "company_share"] == pytest.approx(10_000 / 40_000)
    assert pd.isna(south.loc[NO_REASON, "share_before"])  # south lost nothing before
    company = loss_reasons(tiny_plus, FEB)
    assert company["reason"].tolist() == ["price", NO_REASON]  # largest value first
    assert company["amount"].tolist() == [30_000, 10_000]


def test_biggest_deals_won_and_lost(tiny_plus):
    # January, north: won o1 (60,000) and o2 (40,000); lost o4 (25,000, competitor)
    big = biggest_deals(tiny_plus, JAN, "north", n=5)
    assert big["won"]["opportunity_id"].tolist() == ["o1", "o2"]
    assert big["won"]["amount"].tolist() == [60_000, 40_000]
    assert big["won"]["account_name"].tolist() == ["บริษัท ล้านนา จำกัด"] * 2
    assert big["lost"]["opportunity_id"].tolist() == ["o4"]
    assert big["lost"]["loss_reason"].tolist() == ["competitor"]
    assert big["slipped"] is None  # tiny has no snapshots: slipped deals are not known
    top1 = biggest_deals(tiny_plus, JAN, None, n=1)["won"]
    assert top1["opportunity_id"].tolist() == ["o6"]  # 90,000, the company's largest


def test_slipped_deals_use_what_was_known_at_the_month_start(funnel_slips):
    s = slipped_deals(funnel_slips, MARCH, "north")
    # p1 (due 03-15) and p2 (due 03-05) closed in March; p4, p6 were created in March; p7 (due
    # 03-20, lost 04-05) and p5 (due 03-28 on 02-23, still open) slipped
    assert s["opportunity_id"].tolist() == ["p7", "p5"]
    assert s["amount"].tolist() == [70, 55]  # the amounts recorded then, not today's 60 for p5
    assert s["expected_close_then"].dt.strftime("%m-%d").tolist() == ["03-20", "03-28"]
    assert s["expected_close_now"].dt.strftime("%m-%d").tolist() == ["04-10", "05-15"]
    assert s["stage_now"].tolist() == ["negotiation", "proposal"]
    assert slipped_deals(funnel_slips, pd.Period("2026-02", "M"), "north").empty


def test_concentration_groups_by_rep_not_by_name(tiny_plus):
    # November-January won: r1 60,000 + 40,000 (January); r3 90,000 (January) + 45,000 (December)
    c = concentration(tiny_plus, JAN)
    assert c["revenue"] == 235_000 and c["reps"] == 2
    assert c["top_rep"] == "ปราณี ทองดี"
    assert c["top_share"] == pytest.approx(135_000 / 235_000)
    assert c["reps_for_half"] == 1
    nothing = concentration(tiny_plus, pd.Period("2025-06", "M"))
    assert nothing["top_share"] is None and nothing["reps"] == 0


def test_lost_before_is_the_monthly_mean_of_the_months_before(tiny_plus):
    # north before March 2026 (December-February): o4 25,000 (January), o3 30,000 (February)
    assert lost_before(tiny_plus, MARCH, "north") == pytest.approx((25_000 + 30_000) / 3)
    # before January 2025 nothing had closed: no history to compare with
    assert lost_before(tiny_plus, pd.Period("2025-01", "M"), "north") is None


def test_quota_ahead_and_aged_deals(tiny_plus):
    # quotas after December 2025: r1 100,000 (Jan), 100,000 (Feb); r2 50,000 (Jan)
    assert quota_ahead(tiny_plus, pd.Period("2025-12", "M"), "north") == 250_000
    assert quota_ahead(tiny_plus, pd.Period("2026-06", "M"), "north") is None
    # open at the end of January in north: o3 (created 01-10, closed 02-01) and o5 (01-03, open)
    aged = aged_open_deals(tiny_plus, JAN, "north", days=25)
    assert aged == {"deals": 1, "amount": 70_000.0, "days": 25.0}  # o5: 29 days, o3: 22 days


def _kpis(**series) -> pd.DataFrame:
    months = pd.period_range("2026-07", "2026-10", freq="M")
    return pd.DataFrame({"month": months, **series})


OCT = pd.Period("2026-10", "M")


def test_risks_ranked_by_how_far_past_their_threshold():
    kpis = _kpis(
        win_rate=[0.2, 0.2, 0.2, 0.10],  # target 0.25: red, gap 0.6
        quota_attainment=[1.0, 1.0, 1.0, 0.94],  # target 1.0: amber, not a risk
        open_pipeline_amount=[100.0, 110.0, 120.0, 88.0],  # mean before 110: -20%
        avg_sales_cycle_days=[40.0, 40.0, 40.0, 56.0],  # lower is better: +40% worse
        pipeline_velocity=[10.0, 10.0, 10.0, 9.5],  # -5%: under the 10% threshold
        pipeline_coverage=[2.0, 2.0, 2.0, 1.0],  # -50% but ...
        revenue=[90.0, 90.0, 90.0, 100.0],
        quota=[100.0, 100.0, 100.0, 100.0],
    )
    targets = {"win_rate": 0.25, "quota_attainment": 1.0, "pipeline_coverage": 1.05}
    losses = pd.DataFrame({"reason": ["price"], "deals": [3], "amount": [150.0], "share": [1.0]})
    slipped = pd.DataFrame({"amount": [7.0, 5.0]})
    risks = find_risks(
        kpis,
        OCT,
        targets,
        ["win_rate", "quota_attainment", "pipeline_coverage"],
        quarter={"quota": 300.0, "booked": 100.0, "probability": 0.3},
        concentration={"top_share": 0.39, "reps": 4, "top_rep": "A"},
        slipped=slipped,
        losses=losses,
        lost_before=100.0,  # 150 lost now: +50%
    )
    got = [(r.kind, r.key, round(r.gap, 6)) for r in risks]
    assert got == [
        ("off_target", "win_rate", 0.6),  # (0.25 - 0.10) / 0.25
        # 1.0 against 1.05 is within 10% (amber), so not off target, but half its mean of 2.0
        ("falling", "pipeline_coverage", 0.5),  # (2.0 - 1.0) / 2.0
        ("quarter", None, 0.4),  # (0.5 - 0.3) / 0.5
        ("losses", None, round(1 - 100 / 150, 6)),
        ("falling", "avg_sales_cycle_days", round((56 - 40) / 56, 6)),  # lower is better
        ("falling", "open_pipeline_amount", 0.2),  # (110 - 88) / 110
        ("concentration", None, round((0.39 - 0.30) / 0.70, 6)),
        ("slipped", None, 0.12),  # (7 + 5) / 100
    ]
    assert all(0 < r.gap <= 1 for r in risks)
    assert risks[0].values == {"now": 0.10, "target": 0.25}
    assert risks[3].values["reason"] == "price" and risks[3].values["deals"] == 3
    assert risks[3].values["change"] == pytest.approx(0.5)


def test_lower_is_better_kpis_rank_on_the_same_scale():
    # churn 5% against a 2% target: 60% of the value is the excess; a 1,000% churn stays <= 1
    kpis = _kpis(customer_churn_rate=[0.02, 0.02, 0.02, 0.05])
    (risk,) = find_risks(kpis, OCT, {"customer_churn_rate": 0.02}, ["customer_churn_rate"])
    assert (risk.kind, round(risk.gap, 6)) == ("off_target", 0.6)
    kpis = _kpis(customer_churn_rate=[0.02, 0.02, 0.02, 10.0])
    (risk,) = find_risks(kpis, OCT, {"customer_churn_rate": 0.02}, ["customer_churn_rate"])
    assert risk.gap == pytest.approx(1 - 0.02 / 10.0)


def test_no_risk_below_the_thresholds():
    kpis = _kpis(win_rate=[0.3] * 4, revenue=[100.0] * 4, quota=[100.0] * 4)
    risks = find_risks(
        kpis,
        OCT,
        {"win_rate": 0.25},
        ["win_rate"],
        quarter={"quota": 300.0, "booked": 100.0, "probability": 0.5},  # not below one in two
        concentration={"top_share": 0.9, "reps": 2},  # two reps: one bringing most is normal
        slipped=pd.DataFrame({"amount": [9.0]}),  # 9% of the quota
        losses=pd.DataFrame({"reason": ["x"], "deals": [1], "amount": [120.0], "share": [1.0]}),
        lost_before=100.0,  # +20%: under the 25% of a rise in losses
    )
    assert risks == []


def test_actions_follow_the_risks_once_each():
    kpis = _kpis(
        win_rate=[0.2, 0.2, 0.2, 0.10],
        pipeline_coverage=[2.0, 2.0, 2.0, 1.0],
        revenue=[90.0, 90.0, 90.0, 100.0],
        quota=[100.0] * 4,
    )
    losses = pd.DataFrame(
        {
            "reason": ["price", "other"],
            "deals": [3, 1],
            "amount": [120.0, 30.0],
            "share": [0.8, 0.2],
        }
    )
    quarter = {
        "quota": 300.0,
        "booked": 100.0,
        "commit": 80.0,
        "best_case": 50.0,
        "probability": 0.3,
    }
    risks = find_risks(
        kpis,
        OCT,
        {"win_rate": 0.25},
        ["win_rate"],
        quarter=quarter,
        losses=losses,
        lost_before=100.0,
    )
    assert [r.kind for r in risks] == ["off_target", "falling", "quarter", "losses"]
    actions = recommend(
        risks,
        quarter=quarter,
        losses=losses,
        quota_ahead=600.0,
        coverage_target=3.0,
        coverage_now=1.0,
    )
    assert [a.kind for a in actions] == ["review_losses", "build_pipeline", "close_gap"]
    assert actions[0].values == {"reason": "price", "amount": 120.0, "deals": 3, "share": 0.8}
    assert actions[1].values["needed"] == pytest.approx((3.0 - 1.0) * 600.0)
    assert actions[2].values["gap"] == pytest.approx(300.0 - 100.0 - 80.0)
    assert actions[2].values["best_case"] == 50.0


def test_rules_doc_is_current():
    from analysis.paths import PROJECT_ROOT

    assert (PROJECT_ROOT / "docs" / "brief.md").read_text(encoding="utf-8") == rules_markdown()


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("team", ["bangkok", None])
def test_brief_and_deal_sections_read_in_both_languages(small_dataset, team, lang):
    """Every sentence of page 1 and of the deal sections is filled in, in the report's language
    (item 3 of issue 14: the sections exist in both languages)."""
    from IPython.display import HTML

    from analysis.i18n import t
    from analysis.reports.views import team as views

    ctx = views.open_report(team=team, month="2026-10", data_dir=str(small_dataset), lang=lang)
    text = views.brief(ctx).data
    for key in ("brief_month", "brief_quarter_head", "brief_risks"):
        assert t(key, lang) in text
    assert "{" not in text and "}" not in text
    parts = [
        views.loss_reasons(ctx),
        *(views.biggest_deals(kind, ctx) for kind in ("won", "lost", "slipped")),
        views.concentration(ctx),
    ]
    assert isinstance(parts[0], HTML) and t("loss_reason", lang) in parts[0].data
    assert isinstance(parts[1], HTML) and t("account", lang) in parts[1].data
    for part in parts:
        assert "{" not in part.data.replace("{\n", "").split("<style")[0]
    if lang == "en":  # no Thai but what the data wrote (names, loss reasons)
        import re

        thai = re.compile(r"[\u0E00-\u0E3E\u0E40-\u0E7F]+")  # Thai letters; not ฿ (U+0E3F)
        data = " ".join(
            str(v)
            for table in ("reps", "teams", "accounts")
            for v in load_dataset(small_dataset)[table].astype(str).to_numpy().ravel()
        ) + " ".join(load_dataset(small_dataset)["opportunities"]["loss_reason"].dropna())
        words = set(thai.findall(text))
        assert {w for w in words if w not in data} == set()


def test_falling_lead_indicators_are_marked_in_the_kpi_table(small_dataset):
    """Issue 14: velocity -23%, open pipeline -11% and cycle +24% were shown only as "–" (no
    target). A lead indicator without a target that is 10% or more worse than its mean of the
    three months before (worked out here from the KPI values) says "worsening"; the others do
    not."""
    from analysis.i18n import kpi_label, t
    from analysis.metrics.kpis import KPIS, kpis_for
    from analysis.reports.views import team as views
    from analysis.review.brief import LEADING

    def falling(ctx):
        ds, month = ctx.ds, ctx.month
        values = {k: kpis_for(ds, month - k, team=ctx.team) for k in range(4)}
        expected = set()
        for key in LEADING:
            if key in ctx.targets:
                continue
            now, before = values[0][key], [values[k][key] for k in (1, 2, 3)]
            before = [v for v in before if v is not None]
            if now is None or len(before) < 2 or not sum(before):
                continue
            mean = sum(before) / len(before)
            worse = (mean - now) / mean if KPIS[key].higher_is_better else (now - mean) / mean
            if worse >= 0.10:
                expected.add(key)
        return expected

    # the latest team-month of the fixture with a falling lead indicator (else this proves nothing)
    for month, team in itertools.product(
        ["2026-10", "2026-09", "2026-08"], ["bangkok", "chiang-mai"]
    ):
        ctx = views.open_report(team=team, month=month, data_dir=str(small_dataset), lang="en")
        if expected := falling(ctx):
            break
    table = views.kpi_overview(ctx).data
    marked = {
        key
        for key in LEADING
        if re.search(
            re.escape(kpi_label(key, "en")) + r"</td>(?:.(?!</tr>))*" + t("status_falling", "en"),
            table,
            re.S,
        )
    }
    assert expected, "the fixture should have a falling lead indicator"  # else this proves nothing
    assert marked == expected


def test_the_company_report_lists_the_first_and_last_reps_and_those_most_in_need(
    small_dataset, monkeypatch
):
    """The company report of the 300-team benchmark company listed all 4,170 reps three times
    (330 of its 369 pages). Past COMPANY_REP_ROWS reps, its league table shows the first and last
    half of the ranking, its coaching table the reps furthest below their tenure's typical
    attainment and its slippage table the reps who pushed the most deals, each saying so; a
    team's report lists every rep."""
    import re

    from analysis.metrics.scorecards import coaching_view, league_table
    from analysis.reports import context
    from analysis.reports.views import funnel as funnel_views
    from analysis.reports.views import team as views

    monkeypatch.setattr(context, "COMPANY_REP_ROWS", 6)
    ctx = views.open_report(team=None, month="2026-10", data_dir=str(small_dataset), lang="en")
    full = league_table(ctx.ds, ctx.month, None)
    assert len(full) > 6 and full["rank"].notna().all()
    # a rep without a rank (no quota this month) is listed last; not one of the lowest ranked
    extra = full.tail(1).assign(rank=np.nan, rep_name="Unranked Rep", rank_change=np.nan)
    ctx.__dict__["league"] = pd.concat([full, extra], ignore_index=True)
    html = views.league(ctx).data
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    ranks = [int(r) for r in re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", body)]
    n = len(full)
    assert ranks == [1, 2, 3, n - 2, n - 1, n], ranks
    assert f"The first 3 and last 3 of {n} account executives" in html
    assert "Unranked Rep" not in html
    coach = coaching_view(ctx.ds, ctx.month, None)
    need = coach.sort_values(
        ["small_sample", "ramp_adjusted_attainment", "rep_name"], kind="stable"
    ).head(6)
    html = views.coaching(ctx).data
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr") == 6 and "The 6 furthest below" in html
    assert all(name in body for name in need["rep_name"])
    fc = funnel_views.open_funnel(month="2026-10", data_dir=str(small_dataset), lang="en")
    html = funnel_views.slippage_table(fc).data
    assert html.split("<tbody>")[1].count("<tr") == 6 and "The 6 who pushed the most" in html
    monkeypatch.setattr(context, "COMPANY_REP_ROWS", 2)  # fewer than a team's reps
    team_id = ctx.ds["teams"]["team_id"].iloc[0]
    team = views.open_report(team=team_id, month="2026-10", data_dir=str(small_dataset), lang="en")
    league = views.league(team).data
    assert league.count("<tr") - 1 == len(league_table(team.ds, team.month, team_id)) > 2
    assert "account executives;" not in league


def test_page_one_names_the_lowest_off_target_teams_and_counts_the_rest(small_dataset, monkeypatch):
    """The brief of the 300-team benchmark company named 200 off-target teams in one paragraph
    of page 1. Past TEAMS_NAMED it names the lowest and says how many of how many (the table
    after the brief lists every team)."""
    from analysis.reports.views import company as company_views
    from analysis.reports.views import team as views

    ctx = views.open_report(team=None, month="2026-10", data_dir=str(small_dataset), lang="en")
    names = ctx.ds["teams"]["team_name"].tolist()
    assert len(names) == 2
    behind = [(name, 0.1 * (i + 1)) for i, name in enumerate(names)]
    monkeypatch.setattr(company_views, "off_target_teams", lambda _ctx: behind)
    monkeypatch.setattr(views, "TEAMS_NAMED", 1)
    text = views._summary_text(ctx).split("Teams off target")[1]
    assert text == f": 2 of 2; the lowest: {names[0]} (10.0%)."
    monkeypatch.setattr(views, "TEAMS_NAMED", 2)
    text = views._summary_text(ctx).split("Teams off target")[1]
    assert text == f": {names[0]} (10.0%), {names[1]} (20.0%)."


@pytest.mark.parametrize("lang", ["th", "en"])
def test_page_one_never_says_won_nothing_for_a_quarter_that_has_not_started(lang):
    """At a quarter's last month, page 1's quarter line is about the next quarter: it says when
    that quarter starts and what the reps commit against its quota, not "won ฿0" (the same
    line a month into the quarter does say what was won)."""
    from types import SimpleNamespace

    from analysis.i18n import fmt_currency, fmt_month, t
    from analysis.reports.views.review import _quarter_line

    ctx = SimpleNamespace(lang=lang, buddhist_era=True, ds=SimpleNamespace(currency="THB"))
    q = {
        "quarter": "2026Q4",
        "starts": "2026-10",
        "quota": 300.0,
        "booked": 0.0,
        "remaining_months": ["2026-10", "2026-11", "2026-12"],
    }
    won = t("brief_won", lang, amount=fmt_currency(0.0, "THB"))
    october = fmt_month(pd.Period("2026-10", "M"), lang)
    ahead = _quarter_line(ctx, {**q, "started": False, "commit": 90.0, "best_case": 30.0})
    assert won not in ahead and october in ahead
    assert t("brief_commit", lang, amount=fmt_currency(90.0, "THB")) in ahead
    assert "30%" in ahead  # the commit, 90 of the quota of 300
    quota_only = _quarter_line(ctx, {**q, "started": False})
    assert won not in quota_only and october in quota_only
    assert fmt_currency(300.0, "THB") in quota_only and "{" not in quota_only
    under_way = _quarter_line(ctx, {**q, "started": True, "booked": 50.0})
    assert t("brief_won", lang, amount=fmt_currency(50.0, "THB")) in under_way


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_close_gap_action_of_a_quarter_not_started_counts_no_wins(lang):
    """The action for the next quarter's gap says commit alone covers it; without forecast
    categories, it plans for the quota and says when the quarter starts."""
    from types import SimpleNamespace

    from analysis.i18n import fmt_currency, fmt_month, t
    from analysis.reports.views.review import _action_text

    ctx = SimpleNamespace(lang=lang, buddhist_era=True, ds=SimpleNamespace(currency="THB"))
    kpis = _kpis(revenue=[90.0] * 4, quota=[100.0] * 4)
    risk = {"quota": 300.0, "booked": 0.0, "probability": 0.1, "quarter": "2026Q4"}
    ahead = {**risk, "started": False, "starts": "2026-10"}
    for quarter, with_categories in itertools.product((risk, ahead), (True, False)):
        q = {**quarter, "commit": 90.0, "best_case": 40.0} if with_categories else quarter
        (r,) = find_risks(kpis, OCT, {}, [], quarter=q)
        (action,) = recommend([r], quarter=q)
        text = _action_text(ctx, action)
        fits = "{" not in text and fmt_currency(300.0 - (90.0 * with_categories), "THB") in text
        assert fits, text  # the gap: the quota less the commit
        if quarter is risk:
            continue
        assert t("brief_won", lang, amount="").strip() not in text.replace("(Commit)", "")
        if not with_categories:
            assert fmt_month(pd.Period("2026-10", "M"), lang) in text
