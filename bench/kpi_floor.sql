-- The practical floor for the KPI engine benchmark (bench/bench_kpis.py): every KPI of
-- docs/kpis.md per team and month, in one hand-written DuckDB query straight over the Parquet
-- files, with no validation, no registry and no pandas. Written independently of
-- src/analysis/kpis.py from the definitions. The benchmark checks both give the same table.
-- {dir}: the dataset folder, {lo} and {hi}: first and last month ordinal (months since 1970-01).
CREATE OR REPLACE MACRO mo(ts) AS (year(ts) - 1970) * 12 + month(ts) - 1;
CREATE OR REPLACE MACRO mo_text(s) AS (CAST(s[1:4] AS INTEGER) - 1970) * 12 + CAST(s[6:7] AS INTEGER) - 1;
CREATE OR REPLACE MACRO next_month_start(m) AS TIMESTAMP '1970-01-01' + to_months(CAST(m + 1 AS INTEGER));

WITH
months AS (SELECT range AS m FROM range({lo}, {hi} + 1)),
reps AS (SELECT rep_id, team_id, hire_date, left_date FROM '{dir}/reps.parquet'),
grid AS (SELECT t.team_id, months.m FROM '{dir}/teams.parquet' t, months),
opp AS (
    SELECT o.opportunity_id, o.account_id, o.created_at, o.closed_at, o.stage, o.amount,
        o.deal_type, o.expected_close_date, r.team_id
    FROM '{dir}/opportunities.parquet' o JOIN reps r USING (rep_id)),
-- a closing the stage history shows was reopened later stood over the month ends before the reopening
undone AS (
    SELECT opportunity_id, stage, entered_at AS closed_at, next_at AS reopened_at FROM (
        SELECT opportunity_id, stage, entered_at,
            lead(entered_at) OVER (PARTITION BY opportunity_id ORDER BY entered_at) AS next_at
        FROM '{dir}/stage_history.parquet')
    WHERE stage IN ('closed_won', 'closed_lost') AND next_at IS NOT NULL),
closing AS (
    SELECT team_id, account_id, created_at, closed_at, stage, amount, deal_type
    FROM opp WHERE closed_at IS NOT NULL
    UNION ALL
    SELECT o.team_id, o.account_id, o.created_at, u.closed_at, u.stage, o.amount, o.deal_type
    FROM undone u JOIN opp o USING (opportunity_id)
    WHERE u.reopened_at >= next_month_start(mo(u.closed_at))),
closes AS (
    SELECT team_id, mo(closed_at) AS m,
        coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0) AS revenue,
        count(*) FILTER (WHERE stage = 'closed_won') AS won,
        count(*) FILTER (WHERE stage = 'closed_lost') AS lost,
        coalesce(sum(amount) FILTER (WHERE stage = 'closed_won' AND deal_type IN ('upsell', 'cross_sell')), 0) AS expansion_revenue,
        avg(date_diff('microsecond', created_at, closed_at) / 86400e6) FILTER (WHERE stage = 'closed_won') AS avg_cycle,
        median(date_diff('microsecond', created_at, closed_at) / 86400e6) FILTER (WHERE stage = 'closed_won') AS median_cycle,
        count(*) FILTER (WHERE stage = 'closed_won' AND deal_type IN ('upsell', 'cross_sell')) AS x_won,
        count(*) FILTER (WHERE deal_type IN ('upsell', 'cross_sell')) AS x_closed
    FROM closing GROUP BY ALL),
first_won AS (
    SELECT account_id, mo(min(closed_at)) AS m FROM closing WHERE stage = 'closed_won' GROUP BY 1),
existing AS (
    SELECT o.team_id, mo(o.created_at) AS m, count(*) AS n
    FROM opp o JOIN first_won f USING (account_id) WHERE f.m < mo(o.created_at) GROUP BY ALL),
open_deals AS (
    SELECT d.* FROM (
        SELECT opportunity_id, team_id, amount, expected_close_date,
            unnest(range(greatest(mo(created_at), {lo}), least(coalesce(mo(closed_at) - 1, {hi}), {hi}) + 1)) AS m
        FROM opp) d
    ANTI JOIN undone u ON u.opportunity_id = d.opportunity_id
        AND u.closed_at < next_month_start(d.m) AND u.reopened_at >= next_month_start(d.m)),
open_seen AS (
    SELECT d.team_id, d.m,
        CASE WHEN s.snapshot_date IS NULL THEN d.amount ELSE s.amount END AS amount,
        mo(CASE WHEN s.snapshot_date IS NULL THEN d.expected_close_date ELSE s.expected_close_date END) AS due
    FROM (SELECT *, next_month_start(m) AS m_end FROM open_deals) d
    ASOF LEFT JOIN '{dir}/opportunity_snapshots.parquet' s
        ON s.opportunity_id = d.opportunity_id AND d.m_end > s.snapshot_date),
pipe AS (
    SELECT team_id, m, coalesce(sum(amount), 0) AS amount, count(*) AS n,
        coalesce(sum(amount) FILTER (WHERE due BETWEEN m + 1 AND m + 3), 0) AS ahead
    FROM open_seen GROUP BY ALL),
quota_rows AS (
    SELECT r.team_id, mo_text(q.month) AS m, q.quota_amount
    FROM '{dir}/quotas.parquet' q JOIN reps r USING (rep_id)),
quota AS (SELECT team_id, m, sum(quota_amount) AS quota FROM quota_rows GROUP BY ALL),
quota_ahead AS (
    SELECT team_id, m - k AS m, sum(quota_amount) AS quota
    FROM quota_rows, (VALUES (1), (2), (3)) t(k) GROUP BY ALL),
csat AS (
    SELECT r.team_id, mo(c.responded_at) AS m, avg(c.score) AS score, count(*) AS n
    FROM '{dir}/csat.parquet' c JOIN reps r USING (rep_id) GROUP BY ALL),
leads AS (
    SELECT r.team_id, l.created_at, l.qualified_at, l.converted_at, l.lead_score
    FROM '{dir}/leads.parquet' l JOIN reps r USING (rep_id)),
leads_created AS (
    SELECT team_id, mo(created_at) AS m, count(*) AS n,
        count(*) FILTER (WHERE mo(converted_at) = mo(created_at)) AS converted,
        count(*) FILTER (WHERE mo(qualified_at) = mo(created_at)) AS qualified,
        avg(lead_score) AS score
    FROM leads GROUP BY ALL),
leads_qualified AS (
    SELECT team_id, mo(qualified_at) AS m, count(*) AS n FROM leads
    WHERE qualified_at IS NOT NULL GROUP BY ALL),
leads_converted AS (
    SELECT team_id, mo(converted_at) AS m,
        avg(date_diff('microsecond', created_at, converted_at) / 86400e6) AS days
    FROM leads WHERE converted_at IS NOT NULL GROUP BY ALL),
feedback AS (
    SELECT r.team_id, mo(f.given_at) AS m, count(*) AS n, avg(f.quality_score) AS quality
    FROM '{dir}/feedback.parquet' f JOIN reps r USING (rep_id) GROUP BY ALL),
accounts AS (
    SELECT a.account_id, a.province, mo(a.created_date) AS m, r.team_id
    FROM '{dir}/accounts.parquet' a JOIN reps r ON r.rep_id = a.owner_rep_id),
tickets AS (
    SELECT r.team_id, t.opened_at, t.resolved_at, t.escalated, t.reopened
    FROM '{dir}/tickets.parquet' t
    LEFT JOIN '{dir}/accounts.parquet' a USING (account_id)
    JOIN reps r ON r.rep_id = coalesce(t.rep_id, a.owner_rep_id)),
tickets_opened AS (
    SELECT team_id, mo(opened_at) AS m, count(*) AS n, count(*) FILTER (WHERE escalated) AS escalated
    FROM tickets GROUP BY ALL),
tickets_resolved AS (
    SELECT team_id, mo(resolved_at) AS m, count(*) AS n, count(*) FILTER (WHERE reopened) AS reopened,
        median(date_diff('microsecond', opened_at, resolved_at) / 3600e6) AS hours
    FROM tickets WHERE resolved_at IS NOT NULL GROUP BY ALL),
visits AS (
    SELECT r.team_id, mo(a.occurred_at) AS m, count(*) AS n
    FROM '{dir}/activities.parquet' a JOIN reps r USING (rep_id)
    WHERE a.activity_type = 'visit' GROUP BY ALL),
touched AS (
    SELECT a.team_id, t.m, count(*) AS n, count(DISTINCT a.province) AS provinces
    FROM (SELECT DISTINCT account_id, mo(occurred_at) AS m FROM '{dir}/activities.parquet') t
    JOIN accounts a USING (account_id) WHERE a.m <= t.m GROUP BY ALL),
assigned AS (
    SELECT a.team_id, months.m, count(*) AS n FROM accounts a JOIN months ON a.m <= months.m GROUP BY ALL),
account_months AS (
    SELECT account_id, mo_text(month) AS m, sum(revenue) AS revenue
    FROM '{dir}/revenue.parquet' GROUP BY ALL),
retention AS (
    SELECT a.team_id, p.m + 1 AS m,
        count(*) FILTER (WHERE coalesce(c.revenue, 0) <= 0) AS churned, count(*) AS n,
        sum(least(coalesce(c.revenue, 0), p.revenue)) AS kept, sum(p.revenue) AS before,
        sum(coalesce(c.revenue, 0)) AS after
    FROM account_months p
    LEFT JOIN account_months c ON c.account_id = p.account_id AND c.m = p.m + 1
    JOIN accounts a ON a.account_id = p.account_id
    WHERE p.revenue > 0 GROUP BY ALL),
active AS (
    SELECT rep_id, team_id, m FROM (
        SELECT rep_id, team_id,
            unnest(range(greatest(mo(hire_date), {lo}), least(coalesce(mo(left_date), {hi}), {hi}) + 1)) AS m
        FROM reps)),
headcount AS (SELECT team_id, m, count(*) AS n FROM active GROUP BY ALL),
trainings AS (
    SELECT r.team_id, mo(t.assigned_at) AS assigned, mo(t.completed_at) AS completed
    FROM '{dir}/trainings.parquet' t JOIN reps r USING (rep_id)),
training_stock AS (
    SELECT t.team_id, months.m, count(*) AS assigned,
        count(*) FILTER (WHERE t.completed IS NOT NULL AND greatest(t.assigned, t.completed) <= months.m) AS done
    FROM trainings t JOIN months ON t.assigned <= months.m GROUP BY ALL),
trainings_done AS (
    SELECT team_id, completed AS m, count(*) AS n FROM trainings WHERE completed IS NOT NULL GROUP BY ALL),
skills AS (
    SELECT g.team_id, g.m,
        avg(s.score) FILTER (WHERE g.skill = 'negotiation') AS negotiation,
        avg(s.score) FILTER (WHERE g.skill = 'presentation') AS presentation,
        avg(s.score) FILTER (WHERE g.skill = 'discovery') AS discovery,
        avg(s.score) FILTER (WHERE g.skill = 'product_knowledge') AS product_knowledge,
        avg(s.score) FILTER (WHERE g.skill = 'closing') AS closing
    FROM (SELECT a.*, next_month_start(a.m) AS m_end, k.skill FROM active a,
            (VALUES ('negotiation'), ('presentation'), ('discovery'), ('product_knowledge'), ('closing')) k(skill)) g
    ASOF LEFT JOIN '{dir}/skill_assessments.parquet' s
        ON s.rep_id = g.rep_id AND s.skill = g.skill AND g.m_end > s.assessed_at
    GROUP BY ALL)
SELECT g.team_id AS scope_id, g.m AS month,
    coalesce(c.revenue, 0) AS revenue,
    coalesce(c.revenue, 0) / nullif(coalesce(c1.revenue, 0), 0) - 1 AS revenue_growth_mom,
    coalesce(c.revenue, 0) / nullif(coalesce(c12.revenue, 0), 0) - 1 AS revenue_growth_yoy,
    q.quota,
    coalesce(c.revenue, 0) / nullif(q.quota, 0) AS quota_attainment,
    coalesce(c.won, 0) AS deals_won,
    coalesce(c.lost, 0) AS deals_lost,
    c.won / nullif(c.won + c.lost, 0) AS win_rate,
    c.revenue / nullif(c.won, 0) AS avg_deal_size,
    cs.score AS csat_avg,
    coalesce(cs.n, 0) AS csat_responses,
    coalesce(lc.n, 0) AS leads_created,
    coalesce(lq.n, 0) AS qualified_leads,
    lc.converted / lc.n AS lead_to_opportunity_rate,
    coalesce(p.amount, 0) AS open_pipeline_amount,
    coalesce(p.n, 0) AS open_opportunities,
    coalesce(p.n, 0) * (c.won / nullif(c.won + c.lost, 0)) * (c.revenue / nullif(c.won, 0))
        / nullif(c.avg_cycle, 0) AS pipeline_velocity,
    coalesce(p.ahead, 0) / nullif(qa.quota, 0) AS pipeline_coverage,
    coalesce(rt.churned, 0) AS churned_accounts,
    rt.churned / rt.n AS customer_churn_rate,
    rt.kept / nullif(rt.before, 0) AS gross_revenue_retention,
    rt.after / nullif(rt.before, 0) AS net_revenue_retention,
    c.x_won / nullif(c.x_closed, 0) AS upsell_cross_sell_win_rate,
    coalesce(c.expansion_revenue, 0) AS expansion_revenue,
    coalesce(e.n, 0) AS existing_account_opportunities,
    c.avg_cycle AS avg_sales_cycle_days,
    c.median_cycle AS median_sales_cycle_days,
    coalesce(c.won, 0) / nullif(h.n, 0) AS deals_won_per_rep,
    coalesce(asg.n, 0) AS accounts_assigned,
    coalesce(tc.n, 0) AS accounts_touched,
    coalesce(tc.n, 0) / nullif(asg.n, 0) AS account_coverage_rate,
    coalesce(v.n, 0) AS visits,
    coalesce(tc.provinces, 0) AS provinces_touched,
    coalesce(f.n, 0) AS feedback_sessions,
    f.quality AS avg_feedback_quality,
    coalesce(tko.n, 0) AS tickets_opened,
    coalesce(tkr.n, 0) AS tickets_resolved,
    tkr.hours AS median_resolution_hours,
    tko.escalated / tko.n AS escalation_rate,
    tkr.reopened / tkr.n AS reopen_rate,
    ts.done / nullif(ts.assigned, 0) AS training_completion_rate,
    coalesce(td.n, 0) AS trainings_completed,
    sk.negotiation AS avg_skill_score_negotiation,
    sk.presentation AS avg_skill_score_presentation,
    sk.discovery AS avg_skill_score_discovery,
    sk.product_knowledge AS avg_skill_score_product_knowledge,
    sk.closing AS avg_skill_score_closing,
    lc.score AS avg_lead_score,
    lc.qualified / lc.n AS lead_qualification_rate,
    lv.days AS avg_lead_to_opportunity_days
FROM grid g
LEFT JOIN closes c ON c.team_id = g.team_id AND c.m = g.m
LEFT JOIN closes c1 ON c1.team_id = g.team_id AND c1.m = g.m - 1
LEFT JOIN closes c12 ON c12.team_id = g.team_id AND c12.m = g.m - 12
LEFT JOIN quota q ON q.team_id = g.team_id AND q.m = g.m
LEFT JOIN quota_ahead qa ON qa.team_id = g.team_id AND qa.m = g.m
LEFT JOIN csat cs ON cs.team_id = g.team_id AND cs.m = g.m
LEFT JOIN leads_created lc ON lc.team_id = g.team_id AND lc.m = g.m
LEFT JOIN leads_qualified lq ON lq.team_id = g.team_id AND lq.m = g.m
LEFT JOIN leads_converted lv ON lv.team_id = g.team_id AND lv.m = g.m
LEFT JOIN pipe p ON p.team_id = g.team_id AND p.m = g.m
LEFT JOIN retention rt ON rt.team_id = g.team_id AND rt.m = g.m
LEFT JOIN existing e ON e.team_id = g.team_id AND e.m = g.m
LEFT JOIN headcount h ON h.team_id = g.team_id AND h.m = g.m
LEFT JOIN assigned asg ON asg.team_id = g.team_id AND asg.m = g.m
LEFT JOIN touched tc ON tc.team_id = g.team_id AND tc.m = g.m
LEFT JOIN visits v ON v.team_id = g.team_id AND v.m = g.m
LEFT JOIN feedback f ON f.team_id = g.team_id AND f.m = g.m
LEFT JOIN tickets_opened tko ON tko.team_id = g.team_id AND tko.m = g.m
LEFT JOIN tickets_resolved tkr ON tkr.team_id = g.team_id AND tkr.m = g.m
LEFT JOIN training_stock ts ON ts.team_id = g.team_id AND ts.m = g.m
LEFT JOIN trainings_done td ON td.team_id = g.team_id AND td.m = g.m
LEFT JOIN skills sk ON sk.team_id = g.team_id AND sk.m = g.m
ORDER BY scope_id, month
