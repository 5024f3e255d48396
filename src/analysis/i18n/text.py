"""The translation table: every Thai and English text the reports show, by key (see `i18n.t`)."""

__all__ = ["TEXT"]

TEXT: dict[str, dict[str, str]] = {
    "report_title": {"th": "รายงานผลการขายประจำเดือน", "en": "Monthly sales report"},
    "company": {"th": "ทั้งบริษัท", "en": "Company"},
    "manager": {"th": "ผู้จัดการทีม", "en": "Manager"},
    "region": {"th": "ภูมิภาค", "en": "Region"},
    "data_as_of": {"th": "ข้อมูล ณ วันที่", "en": "Data as of"},
    "headline": {"th": "ตัวชี้วัดหลักของเดือน", "en": "This month's headline KPIs"},
    "summary": {"th": "สรุป", "en": "Summary"},
    "trend": {
        "th": "รายได้เทียบกับเป้าหมาย 12 เดือนล่าสุด",
        "en": "Revenue against quota, last 12 months",
    },
    "reps": {"th": "ผลงานรายบุคคล", "en": "Account executives this month"},
    "league": {"th": "อันดับพนักงานขายตามการบรรลุเป้าหมาย", "en": "League table: quota attainment"},
    "league_no_quota": {"th": "ผลงานพนักงานขายในเดือน", "en": "Account executives: won revenue"},
    "trend_no_quota": {"th": "รายได้ 12 เดือนล่าสุด", "en": "Revenue, last 12 months"},
    "coaching": {"th": "ประเด็นสำหรับการโค้ช", "en": "Where to coach"},
    "coaching_note": {
        "th": "ปัจจัยของความเร็วไปป์ไลน์ (จำนวนโอกาสขาย อัตราการปิด มูลค่าดีล ระยะเวลาการขาย) "
        "ที่ต่ำกว่ามัธยฐานของทีมมากที่สุด เทียบจาก 3 เดือนล่าสุด",
        "en": "The pipeline-velocity lever (open opportunities, win rate, deal size, cycle length) "
        "furthest below the team median, over the last 3 months",
    },
    "league_cut": {
        "th": "{n} อันดับแรกและ {n} อันดับสุดท้ายจากพนักงานขายทั้งหมด {total} คน "
        "รายงานของแต่ละทีมแสดงพนักงานขายของทีมครบทุกคน",
        "en": "The first {n} and last {n} of {total} account executives; each team's report "
        "lists every one of its own",
    },
    "coaching_cut": {
        "th": "{n} คนที่การบรรลุเป้าต่ำกว่าค่ากลางของพนักงานขายอายุงานเท่ากันมากที่สุด "
        "(คนที่มีดีลปิดมากพอสำหรับการโค้ชก่อน) จากทั้งหมด {total} คน "
        "รายงานของแต่ละทีมแสดงพนักงานขายของทีมครบทุกคน",
        "en": "The {n} furthest below the typical attainment of their tenure (those with enough "
        "closed deals to coach from first), of {total} account executives; each team's report "
        "lists every one of its own",
    },
    "slippage_cut": {
        "th": "{n} คนที่เลื่อนวันปิดดีลมากที่สุด จากพนักงานขายทั้งหมด {total} คน "
        "รายงานของแต่ละทีมแสดงพนักงานขายของทีมครบทุกคน",
        "en": "The {n} who pushed the most deals, of {total} account executives; each team's "
        "report lists every one of its own",
    },
    "all_kpis": {"th": "ตัวชี้วัดทั้งหมดตามหมวด", "en": "Every KPI, by family"},
    "family": {"th": "หมวด", "en": "Family"},
    "target": {"th": "เป้า", "en": "Target"},
    "status": {"th": "สถานะ", "en": "Status"},
    "status_green": {"th": "ตามเป้า", "en": "on target"},
    "status_amber": {"th": "ใกล้เป้า", "en": "near target"},
    "status_red": {"th": "ห่างเป้า", "en": "off target"},
    "status_falling": {"th": "แย่ลง", "en": "worsening"},
    "status_rule": {
        "th": "สถานะเทียบกับเป้าใน params/ — เขียว: ถึงเป้าหรือดีกว่า; เหลือง: ยังไม่ถึงแต่ห่างไม่เกิน 10% "
        'ของเป้า; แดง: ห่างกว่านั้น (ทิศทาง "ดี" ของแต่ละตัวชี้วัดดูใน docs/kpis.md); แย่ลง: '
        "ตัวชี้วัดนำที่ไม่มีเป้าซึ่งแย่กว่าค่าเฉลี่ย 3 เดือนก่อนหน้า 10% ขึ้นไป "
        "(ความเสี่ยงและสิ่งที่ควรทำในหน้าแรกตามตารางเกณฑ์ใน docs/brief.md)",
        "en": "Status against the targets in params/. {rule} Worsening: a lead indicator without "
        "a target that is 10% or more worse than its mean of the 3 months before (page 1's risks "
        "and actions follow the rule table of docs/brief.md).",
    },
    "stage_prospecting": {"th": "ค้นหาลูกค้า", "en": "Prospecting"},
    "stage_qualification": {"th": "คัดกรอง", "en": "Qualification"},
    "stage_proposal": {"th": "เสนอราคา", "en": "Proposal"},
    "stage_negotiation": {"th": "เจรจา", "en": "Negotiation"},
    "stage_closed_won": {"th": "ปิดการขายได้", "en": "Won"},
    "stage_closed_lost": {"th": "เสียการขาย", "en": "Lost"},
    # coded values shown in tables (i18n.fmt_code): deal types, lead sources, lead steps
    "deal_type_new_business": {"th": "ลูกค้าใหม่", "en": "New business"},
    "deal_type_upsell": {"th": "ขายเพิ่ม (อัปเซล)", "en": "Upsell"},
    "deal_type_cross_sell": {"th": "ขายข้ามผลิตภัณฑ์ (ครอสเซล)", "en": "Cross-sell"},
    "deal_type_renewal": {"th": "ต่ออายุสัญญา", "en": "Renewal"},
    "lead_source_web": {"th": "เว็บไซต์", "en": "Web"},
    "lead_source_referral": {"th": "การแนะนำ", "en": "Referral"},
    "lead_source_partner": {"th": "พันธมิตร", "en": "Partner"},
    "lead_source_outbound": {"th": "การติดต่อเชิงรุก", "en": "Outbound"},
    "lead_source_inbound": {"th": "ลูกค้าติดต่อเข้ามา", "en": "Inbound"},
    "lead_source_event": {"th": "งานอีเวนต์", "en": "Event"},
    "lead_source_(no lead)": {"th": "(ไม่มีลีด)", "en": "(no lead)"},
    "lead_step_created": {"th": "ลีดที่สร้าง", "en": "Leads created"},
    "lead_step_qualified": {"th": "ผ่านการคัดกรอง", "en": "Qualified"},
    "lead_step_converted": {"th": "เปลี่ยนเป็นดีล", "en": "Converted to a deal"},
    "cohort_age": {"th": "อายุ (เดือน)", "en": "Age (months)"},
    "lost_at_stage": {"th": "เสียในขั้นนี้", "en": "lost at this stage"},
    "cohort_of": {
        "th": "ดีลที่สร้างใน 12 เดือนล่าสุด (ที่ผลชัดเจนแล้ว):",
        "en": "Deals created in the last 12 months (resolved):",
    },
    "wf_open_start": {"th": "ต้นเดือน", "en": "Start"},
    "wf_created": {"th": "สร้างใหม่", "en": "Created"},
    "wf_reopened": {"th": "เปิดใหม่", "en": "Reopened"},
    "wf_increased": {"th": "เพิ่มมูลค่า", "en": "Increased"},
    "wf_decreased": {"th": "ลดมูลค่า", "en": "Decreased"},
    "wf_won": {"th": "ปิดได้", "en": "Won"},
    "wf_lost": {"th": "เสีย", "en": "Lost"},
    "wf_unexplained": {"th": "อธิบายไม่ได้", "en": "Unexplained"},
    "wf_open_end": {"th": "สิ้นเดือน", "en": "End"},
    "win_rate_ci": {
        "th": "อัตราการปิดการขาย (ช่วงความเชื่อมั่น 95% แบบ Wilson)",
        "en": "Win rate (95% Wilson interval)",
    },
    "won": {"th": "ปิดได้", "en": "won"},
    "lost": {"th": "เสีย", "en": "lost"},
    "median": {"th": "มัธยฐาน", "en": "median"},
    "cycle_days": {"th": "ระยะเวลาการขาย (วัน)", "en": "Sales cycle (days)"},
    "days_since_created": {"th": "วันนับจากสร้างดีล", "en": "Days since the deal was created"},
    "still_open": {"th": "ยังไม่ปิด", "en": "Still open"},
    "funnel_title": {"th": "การแปลงไปป์ไลน์", "en": "Pipeline conversion"},
    "funnel": {
        "th": "กรวยการขาย (ตามรุ่นดีลที่สร้าง 12 เดือนล่าสุด)",
        "en": "Funnel: deals created in the last 12 months",
    },
    "flow": {"th": "การไหลระหว่างขั้น: อัตราผ่านแต่ละขั้น", "en": "Stage flow: conversion at each step"},
    "step_table": {"th": "อัตราผ่านแต่ละขั้น (มุมมองรุ่น)", "en": "Step conversion (cohort view)"},
    "flow_table": {
        "th": "การเปลี่ยนขั้นที่เกิดขึ้นในเดือนนี้ (มุมมองการไหล)",
        "en": "Transitions this month (flow view)",
    },
    "cohorts": {"th": "รุ่นดีลตามเดือนที่สร้าง", "en": "Cohorts by creation month"},
    "skip_rule": {
        "th": "ดีลที่ข้ามขั้น (เช่น ค้นหาลูกค้า → เสนอราคา) นับว่าผ่านขั้นที่ข้ามในมุมมองรุ่น "
        "และนับเป็น 'ข้ามขั้น' ครั้งเดียวในมุมมองการไหล ดีลที่เปิดใหม่หลังปิดนับเป็น 'เปิดใหม่'",
        "en": "A deal that skips a stage (e.g. prospecting → proposal) counts as having passed it in "
        "the cohort view, and once as a 'skip' in the flow view; a closed deal that reopens "
        "counts as 'reopened'.",
    },
    "waterfall": {"th": "การเคลื่อนไหวของไปป์ไลน์ในเดือน", "en": "Pipeline movement this month"},
    "waterfall_balance": {
        "th": "ต้นเดือน {start}{terms} = สิ้นเดือน {end}",
        "en": "Start {start}{terms} = end {end}",
    },
    "waterfall_unexplained": {
        "th": "{value} ({n} ดีล) ไม่มีบันทึกใดอธิบายได้: ดีลปิดด้วยมูลค่าที่ไม่เคยมีในสแนปช็อตขณะยังเปิดอยู่ "
        "หรือออกจาก/เข้าสู่ไปป์ไลน์โดยไม่มีการปิด การสร้าง หรือการเปิดใหม่ ควรตรวจดีลเหล่านี้ใน CRM",
        "en": "{value} ({n} deals) is not explained by any record: a deal closed at an amount no "
        "snapshot showed while it was open, or left or entered the pipeline without a closing, "
        "a creation or a reopening. Check these deals in the CRM.",
    },
    "waterfall_timing": {
        "th": "เลื่อนวันปิดออกจากเดือนนี้ {slipped} ({n_slipped} ดีล); ดึงเข้ามา {pulled_in} ({n_pulled_in} ดีล) "
        "— ย้ายมูลค่าระหว่างเดือน ไม่เปลี่ยนยอดรวม",
        "en": "Slipped out of this month: {slipped} ({n_slipped} deals); pulled in: {pulled_in} "
        "({n_pulled_in} deals) — these move value between months, not in or out of the pipeline.",
    },
    "no_slippage": {
        "th": "ไม่มีดีลที่เปิดอยู่และมีสแนปช็อตใน 3 เดือนล่าสุด",
        "en": "No open deal had a snapshot in the last 3 months.",
    },
    "as_known_now": {
        "th": "มูลค่าเป็นค่าตามที่รู้ตอนนี้ ไม่ใช่ตามที่รู้ในตอนนั้น: ไม่มีสแนปช็อต จึงใช้มูลค่าปัจจุบันของดีล "
        "แทนมูลค่า ณ ต้นเดือน และการเพิ่ม/ลดมูลค่าระหว่างเดือนไม่ปรากฏ",
        "en": "Amounts are as known now, not as known then: without snapshots each deal is valued "
        "at its current amount, at the start of the month too, and changes during the month do "
        "not show.",
    },
    "slippage": {
        "th": "การเลื่อนวันปิดการขาย (3 เดือนล่าสุด)",
        "en": "Close-date slippage (last 3 months)",
    },
    "win_by_rep": {"th": "อัตราการปิดการขายรายบุคคล (12 เดือน)", "en": "Win rate by rep (12 months)"},
    "win_by": {"th": "อัตราการปิดการขายตาม{dim}", "en": "Win rate by {dim}"},
    "win_by_dim": {
        "th": "อัตราการปิดการขายตาม{dim} (12 เดือน)",
        "en": "Win rate by {dim} (12 months)",
    },
    "dim_stage_reached": {"th": "ขั้นที่ไปถึง", "en": "stage reached"},
    "dim_product": {"th": "ผลิตภัณฑ์", "en": "product"},
    "dim_deal_type": {"th": "ประเภทดีล", "en": "deal type"},
    "dim_lead_source": {"th": "แหล่งที่มาของลีด", "en": "lead source"},
    "rep_test": {
        "th": "ผลต่างของอัตราการปิดระหว่างพนักงานเกินกว่าความบังเอิญหรือไม่: {test}, {p} (n = {n} ดีล, {reps} คน). {verdict}",
        "en": "Do reps' win rates differ beyond chance? {test}, {p} (n = {n} deals, {reps} reps). {verdict}",
    },
    "rep_test_yes": {"th": "แตกต่างอย่างมีนัยสำคัญที่ระดับ 5%", "en": "Yes, at the 5% level."},
    "rep_test_no": {
        "th": "ไม่พบหลักฐานเพียงพอว่าแตกต่าง",
        "en": "Not enough evidence that they differ.",
    },
    "time_in_stage": {"th": "ระยะเวลาในแต่ละขั้น (วัน)", "en": "Time in each stage (days)"},
    "cycle": {"th": "การกระจายของระยะเวลาการขาย", "en": "Sales cycle: won vs lost"},
    "survival": {
        "th": "เวลาจนปิดดีล (Kaplan-Meier; ดีลที่ยังเปิดนับเป็นข้อมูลถูกตัด)",
        "en": "Time to close (Kaplan-Meier; open deals are censored, not dropped)",
    },
    "leads": {"th": "กรวยลีด (12 เดือน)", "en": "Lead funnel (12 months)"},
    "lead_deciles": {
        "th": "คะแนนลีดกับการเปลี่ยนเป็นโอกาสขาย (เดไซล์)",
        "en": "Lead score deciles vs conversion",
    },
    "pipeline_health": {"th": "ความครอบคลุมและความเร็วของไปป์ไลน์", "en": "Coverage and velocity"},
    "health_text_no_quota": {
        "th": "ที่อัตราการปิด {win_rate} รายได้แต่ละบาทต้องมีไปป์ไลน์ {required} ของมูลค่านั้น "
        "ความเร็วไปป์ไลน์ {velocity}",
        "en": "At a {win_rate} win rate, each unit of revenue needs {required} its value in open "
        "pipeline. Pipeline velocity: {velocity}.",
    },
    "health_text": {
        "th": "ไปป์ไลน์ที่ครบกำหนดใน 3 เดือนข้างหน้าครอบคลุมเป้า {coverage} ขณะที่อัตราการปิด {win_rate} "
        "ต้องการ {required} ความเร็วไปป์ไลน์ {velocity}",
        "en": "Pipeline due in the next 3 months covers {coverage} its quota; at a {win_rate} win rate "
        "it needs {required}. Pipeline velocity: {velocity}.",
    },
    "step": {"th": "ขั้น", "en": "Step"},
    "slip_deals": {"th": "ดีลที่เลื่อนวันปิด", "en": "Deals pushed"},
    "slip_rate": {"th": "สัดส่วนที่เลื่อน", "en": "Share pushed"},
    "slip_days": {"th": "เลื่อนเฉลี่ย (วัน)", "en": "Avg push (days)"},
    "n": {"th": "จำนวน", "en": "n"},
    "rate": {"th": "อัตรา", "en": "Rate"},
    "interval": {"th": "ช่วงความเชื่อมั่น 95%", "en": "95% interval"},
    "summary_at_risk": {"th": "ตัวชี้วัดที่ห่างเป้า: {kpis}", "en": "Off target: {kpis}"},
    "rank": {"th": "อันดับ", "en": "Rank"},
    "rank_change": {"th": "อันดับเปลี่ยน", "en": "Rank change"},
    "vs_team_median": {"th": "เทียบมัธยฐานทีม", "en": "vs team median"},
    "weakest_lever": {"th": "ปัจจัยที่ควรพัฒนา", "en": "Lever to work on"},
    "of_team_median": {"th": "ของมัธยฐานทีม", "en": "of team median"},
    "small_sample": {
        "th": "ข้อมูลน้อย ({n} ดีลที่ปิด) ตีความด้วยความระมัดระวัง",
        "en": "small sample ({n} closed deals), read with caution",
    },
    "tenure_months": {"th": "อายุงาน (เดือน)", "en": "Tenure (months)"},
    "ramp_adjusted": {"th": "การบรรลุเป้าเทียบคนอายุงานเท่ากัน", "en": "Attainment vs same-tenure reps"},
    "required_coverage": {
        "th": "ความครอบคลุมที่ต้องการ (1/อัตราปิด)",
        "en": "Coverage needed (1 / win rate)",
    },
    "rep_chart": {"th": "การบรรลุเป้าหมายรายบุคคล", "en": "Quota attainment by account executive"},
    "chart_extremes": {
        "th": "{n} อันดับต่ำสุดและ {n} อันดับสูงสุดจากทั้งหมด {total}",
        "en": "the {n} lowest and {n} highest of {total}",
    },
    "about": {"th": "เกี่ยวกับรายงานนี้", "en": "About this report"},
    "appendix": {"th": "ภาคผนวก: วิธีการและการตั้งค่า", "en": "Appendix: method and settings"},
    "status_rule_head": {"th": "เกณฑ์สถานะและความเสี่ยง", "en": "Status and risk rules"},
    "targets_provisional": {
        "th": "เป้าเป็นค่าชั่วคราว: ค่ามัธยฐานของข้อมูลเองใน 12 เดือนล่าสุดที่คำนวณตอนนำเข้า "
        "ยังไม่มีใครกำหนด (ตั้งเป้าใน params/ แล้วลบ targets_provisional)",
        "en": "Provisional targets: the median of the data's own last 12 months, derived at "
        "import, not set by anyone (set them in params/ and remove targets_provisional)",
    },
    "kpi": {"th": "ตัวชี้วัด", "en": "KPI"},
    "this_month": {"th": "เดือนนี้", "en": "This month"},
    "last_month": {"th": "เดือนก่อน", "en": "Last month"},
    "change": {"th": "เปลี่ยนแปลง", "en": "Change"},
    "rep": {"th": "พนักงานขาย", "en": "Account executive"},
    "month": {"th": "เดือน", "en": "Month"},
    "revenue": {"th": "รายได้", "en": "Revenue"},
    "quota": {"th": "เป้าหมาย", "en": "Quota"},
    "no_data": {"th": "ไม่มีข้อมูล", "en": "no data"},
    "cap_title": {"th": "สิ่งที่ข้อมูลชุดนี้ยังแสดงไม่ได้", "en": "What this data cannot show"},
    "cap_stage_history": {
        "th": "ไม่มีประวัติการเปลี่ยนขั้นของดีล: กรวยการขาย อัตราการเปลี่ยนขั้น กลุ่มตามเดือนที่สร้าง "
        "การไหลระหว่างขั้น อัตราปิดการขายตามขั้นที่ไปถึง และเวลาในแต่ละขั้นจึงไม่แสดง "
        "(ขั้นปัจจุบันของดีลบอกไม่ได้ว่าผ่านขั้นใดมา รายงาน Opportunity Stage History ของ CRM ให้ข้อมูลนี้)",
        "en": "No stage history: the funnel, stage conversion, cohorts, stage flows, win rates by "
        "stage reached and time in stage are left out (a deal's current stage cannot say which "
        "stages it passed; the CRM's opportunity stage history report adds them).",
    },
    "cap_opportunity_snapshots": {
        "th": "ไม่มีสแนปช็อตไปป์ไลน์: มูลค่าและวันที่คาดว่าจะปิดของดีลรู้เพียงค่าปัจจุบัน "
        "ไปป์ไลน์ของเดือนที่ผ่านมาจึงเป็นค่าตามที่รู้ตอนนี้ ไม่ใช่ตามที่รู้ในตอนนั้น "
        "ไม่ทราบว่าดีลใดเลื่อนวันปิด และผลทดสอบย้อนหลังของโมเดลไปป์ไลน์ดีเกินจริง "
        "(ใช้ค่าของดีลตามที่เป็นตอนนี้ ณ ทุกจุดตัด)",
        "en": "No pipeline snapshots: a deal's amount and expected close date are known only as "
        "they are now, so past months' open pipeline is as known now, not as known then; which "
        "deals slipped is unknown; and the pipeline model's backtest is optimistic (it valued "
        "each cutoff's open deals as they are now).",
    },
    "cap_quotas": {
        "th": "ไม่มีเป้าหมาย (quotas): การทำได้ตามเป้า ความครอบคลุมของไปป์ไลน์ กราฟการทำได้ตามเป้า "
        "และแนวโน้มเป้ารายไตรมาสจึงไม่แสดง",
        "en": "No quotas: quota attainment, pipeline coverage, the attainment chart and the "
        "quarter's quota outlook are left out.",
    },
    "cap_skills_or_training": {
        "th": "ไม่มีผลประเมินทักษะหรือประวัติการฝึกอบรม: ส่วนทักษะและการฝึกอบรมจึงไม่แสดง",
        "en": "No skill assessments or training records: the skills and training part is left out.",
    },
    "cap_leads": {
        "th": "ไม่มีข้อมูลลีด: กรวยลีด คะแนนลีด และอัตราปิดการขายตามแหล่งลีดจึงไม่แสดง",
        "en": "No leads: the lead funnel, lead-score deciles and win rates by lead source are left "
        "out.",
    },
    "cap_other": {
        "th": "ไม่มีตาราง {tables}: ตัวชี้วัด {kpis} ตัวที่ต้องใช้จึงไม่อยู่ในตารางตัวชี้วัด (ดู docs/kpis.md)",
        "en": "No {tables} table(s): the {kpis} KPIs that need them are left out of the KPI tables "
        "(docs/kpis.md says what each needs).",
    },
    "cap_account_owner": {
        "th": "บัญชีลูกค้าไม่มีผู้ดูแล (owner_rep_id): ตัวชี้วัดบัญชีลูกค้าของทีมและพนักงานขายจึงไม่มี มีเฉพาะของทั้งบริษัท",
        "en": "The accounts have no owner (owner_rep_id): the account KPIs of teams and reps are "
        "left out; the company's are shown.",
    },
    "cap_undated_deals": {
        "th": "ดีล {n} รายการไม่มีวันที่สร้าง (created_at): นับตั้งแต่วันที่ปิด หรือถ้ายังเปิดอยู่ "
        "นับตั้งแต่วันที่ของข้อมูล ({as_of}) และไม่รวมในรอบเวลาการขาย ดีลที่สร้างในแต่ละเดือน "
        "กลุ่มตามเดือนที่สร้าง และอายุดีล",
        "en": "{n} deal(s) have no creation date (created_at): each counts from its close or, "
        "still open, from the data's date ({as_of}), and is left out of sales cycle, deals "
        "created per month, creation-month cohorts and deal age.",
    },
    "cap_no_expected_close": {
        "th": "ดีล {n} รายการไม่มีวันที่คาดว่าจะปิด (expected_close_date): "
        "ไม่รวมในความครอบคลุมไปป์ไลน์และดีลที่เลื่อน",
        "en": "{n} deal(s) have no expected close date (expected_close_date): they are left out "
        "of pipeline coverage and slipped deals.",
    },
    "cap_how": {
        "th": "วิธีเพิ่มแต่ละตาราง: docs/data-contract.md หรือกำหนดใน mapping ของการนำเข้า (docs/importing.md)",
        "en": "How to add each table: docs/data-contract.md, or map it in an import "
        "(docs/importing.md).",
    },
    "missing_table": {
        "th": "ชุดข้อมูลไม่มี{what} ส่วนนี้จึงไม่แสดง (ข้อมูลที่ขาดและวิธีเพิ่มอยู่ในภาคผนวก)",
        "en": "The dataset has no {what}, so this section is left out (what is missing, and how "
        "to add it, is in the appendix).",
    },
    "what_leads": {"th": "ข้อมูลลีด", "en": "lead data"},
    "what_lead_scores": {"th": "คะแนนลีด", "en": "lead scores"},
    "no_deals_created": {
        "th": "ไม่มีดีลที่สร้างใน 12 เดือนล่าสุด จึงยังไม่มีกรวยการขายให้แสดง",
        "en": "No deals were created in the last 12 months, so there is no funnel to show yet.",
    },
    "no_stage_history": {
        "th": "ชุดข้อมูลไม่มีประวัติการเปลี่ยนขั้นของดีล: อัตราการเปลี่ยนขั้นใช้ขั้นปัจจุบันของดีลเท่านั้น "
        "(ดีลที่ชนะถือว่าผ่านทุกขั้น) ส่วนนี้จึงไม่แสดง (เช่น รายงาน Opportunity Stage History "
        "ของ CRM; วิธีเพิ่มอยู่ในภาคผนวก)",
        "en": "The dataset has no stage history: conversion would use each deal's current stage "
        "only (a won deal counts as having passed every stage), so this section is left out "
        "(the CRM's opportunity stage history report gives it; how to add it is in the appendix).",
    },
    "dataset": {"th": "ชุดข้อมูล", "en": "Dataset"},
    "content_hash": {"th": "แฮชของข้อมูล", "en": "Data content hash"},
    "package_version": {"th": "เวอร์ชันของแพ็กเกจ", "en": "Package version"},
    "parameters": {"th": "พารามิเตอร์", "en": "Parameters"},
    "generated": {"th": "สร้างเมื่อ", "en": "Generated"},
    "summary_revenue": {
        "th": "{team} ปิดการขายได้ {revenue} ใน{month} คิดเป็น {attainment} ของเป้าหมาย {quota}",
        "en": "{team} closed {revenue} of won business in {month}, {attainment} of its {quota} quota",
    },
    "summary_no_quota": {
        "th": "{team} ปิดการขายได้ {revenue} ใน{month} (ไม่มีข้อมูลเป้าหมาย)",
        "en": "{team} closed {revenue} of won business in {month} (no quota on record)",
    },
    "summary_change": {
        "th": " {direction}จากเดือนก่อน {change}",
        "en": ", {direction} {change} on last month",
    },
    "up": {"th": "เพิ่มขึ้น", "en": "up"},
    "down": {"th": "ลดลง", "en": "down"},
    "summary_deals": {
        "th": "ปิดได้ {won} ดีล เสีย {lost} ดีล อัตราการปิดการขาย {win_rate}",
        "en": "{won} deals won and {lost} lost, a win rate of {win_rate}",
    },
    "targets_used": {"th": "เป้าหมายที่ใช้", "en": "Targets used"},
    "forecast_settings": {"th": "การตั้งค่าการพยากรณ์", "en": "Forecast settings"},
    # --- report index ---
    "index_title": {"th": "รายงานการขายประจำเดือน", "en": "Monthly sales reports"},
    "index_report": {"th": "รายงาน", "en": "Report"},
    "index_files": {"th": "ไฟล์", "en": "Files"},
    "index_empty": {"th": "ยังไม่มีรายงานที่เผยแพร่", "en": "No report has been published yet."},
    "quota_attainment_short": {"th": "บรรลุเป้า", "en": "Attainment"},
    "win_rate_short": {"th": "อัตราการปิด", "en": "Win rate"},
    # --- company comparison ---
    "cmp_title": {"th": "เปรียบเทียบทีมขาย", "en": "Teams compared"},
    "cmp_section_table": {
        "th": "ตัวชี้วัดหลักของแต่ละทีมในเดือนนี้ (สีตามเป้าหมายของบริษัท)",
        "en": "Each team's headline KPIs this month (colours against the company targets)",
    },
    "cmp_section_multiples": {
        "th": "รายได้เทียบกับเป้าหมายของแต่ละทีม 12 เดือนล่าสุด",
        "en": "Each team's revenue against quota, last 12 months",
    },
    "cmp_section_multiples_no_quota": {
        "th": "รายได้ของแต่ละทีม 12 เดือนล่าสุด",
        "en": "Each team's revenue, last 12 months",
    },
    "team": {"th": "ทีม", "en": "Team"},
    # --- revenue forecast ---
    "forecast_title": {"th": "พยากรณ์รายได้", "en": "Revenue forecast"},
    "forecast_from": {"th": "ใช้ข้อมูลถึงสิ้นเดือน{month}", "en": "From data up to the end of {month}"},
    "fc_section_summary": {"th": "สรุปการพยากรณ์", "en": "The forecast in brief"},
    "fc_section_forecast": {
        "th": "รายได้จริงและพยากรณ์ (ช่วง 80%) เทียบเป้าหมาย",
        "en": "Actual and forecast revenue (80% interval) against quota",
    },
    "fc_section_forecast_no_quota": {
        "th": "รายได้จริงและพยากรณ์ (ช่วง 80%)",
        "en": "Actual and forecast revenue (80% interval)",
    },
    "fc_section_table": {"th": "พยากรณ์รายเดือนของแต่ละแบบจำลอง", "en": "Monthly forecast by model"},
    "fc_section_backtest": {
        "th": "ความแม่นยำย้อนหลัง: ความคลาดเคลื่อนตามระยะพยากรณ์",
        "en": "Backtest: error by forecast horizon",
    },
    "fc_section_quota": {"th": "โอกาสทำได้ตามเป้าของไตรมาส", "en": "Quarter quota outlook"},
    "fc_section_categories": {
        "th": "การคาดการณ์ของพนักงานขาย (Forecast categories)",
        "en": "The reps' forecast categories",
    },
    "fc_section_tracking": {
        "th": "ติดตามผล: พยากรณ์ล่วงหน้า 1 เดือนเทียบกับที่เกิดขึ้นจริง",
        "en": "Tracking: one-month-ahead forecasts against what happened",
    },
    "fc_section_components": {
        "th": "องค์ประกอบของ Prophet: แนวโน้มและฤดูกาลรายปี",
        "en": "Prophet components: trend and yearly seasonality",
    },
    "fc_section_method": {"th": "วิธีการพยากรณ์", "en": "Forecast method"},
    "model": {"th": "แบบจำลอง", "en": "Model"},
    "model_ets": {"th": "ETS", "en": "ETS"},
    "model_theta": {"th": "Theta", "en": "Theta"},
    "model_arima": {"th": "ARIMA", "en": "ARIMA"},
    "model_prophet": {"th": "Prophet", "en": "Prophet"},
    "model_seasonal_naive": {"th": "ค่าเดือนเดียวกันปีก่อน", "en": "Seasonal naive"},
    "model_trailing_mean": {"th": "ค่าเฉลี่ยย้อนหลัง", "en": "Trailing mean"},
    "model_pipeline": {"th": "จากไปป์ไลน์", "en": "Pipeline"},
    "model_combined": {"th": "แบบรวม (ค่าเฉลี่ยของแบบสถิติ)", "en": "Combination"},
    "model_blend": {"th": "ผสม (แบบรวม + ไปป์ไลน์)", "en": "Blend (combination + pipeline)"},
    "actual": {"th": "จริง", "en": "Actual"},
    "error": {"th": "คลาดเคลื่อน", "en": "Error"},
    "fc_table_headline": {
        "th": "★ คือพยากรณ์ที่ใช้เป็นตัวเลขหลักของรายงาน",
        "en": "★ marks the forecast the report leads with.",
    },
    "headline_interval": {"th": "ช่วง 80% ของ{model}", "en": "80% interval ({model})"},
    "coverage_80": {"th": "ครอบคลุมในช่วง 80%", "en": "Inside 80% interval"},
    "horizon_months": {"th": "ระยะพยากรณ์ (เดือน)", "en": "Months ahead"},
    "fc_trend": {"th": "แนวโน้ม", "en": "Trend"},
    "yearly_seasonality": {"th": "ฤดูกาลรายปี", "en": "Yearly seasonality"},
    "quarter": {"th": "ไตรมาส", "en": "Quarter"},
    "quarter_label": {"th": "ไตรมาส {q}/{year}", "en": "Q{q} {year}"},
    "category": {"th": "หมวดการคาดการณ์", "en": "Category"},
    "deals": {"th": "ดีล", "en": "Deals"},
    "amount": {"th": "มูลค่า", "en": "Amount"},
    "cumulative": {"th": "สะสม", "en": "Cumulative"},
    "cat_won": {"th": "ปิดได้แล้วในไตรมาส", "en": "Won this quarter"},
    "cat_commit": {"th": "มั่นใจ (Commit)", "en": "Commit"},
    "cat_best_case": {"th": "กรณีดีที่สุด (Best case)", "en": "Best case"},
    "cat_pipeline": {"th": "ไปป์ไลน์ (Pipeline)", "en": "Pipeline"},
    "cat_omitted": {"th": "ไม่นับ (Omitted)", "en": "Omitted"},
    "cat_uncategorised": {"th": "ไม่ได้ระบุ", "en": "Not categorised"},
    "fc_next_month": {
        "th": "คาดว่ารายได้เดือน{month} จะอยู่ที่ {value}{band}",
        "en": "Revenue in {month} is forecast at {value}{band}.",
    },
    "fc_band": {"th": " (ช่วง 80%: {low} – {high})", "en": " (80% interval {low} – {high})"},
    "fc_headline_blend": {
        "th": " ตัวเลขนี้มาจากค่าเฉลี่ยของ {members} ({k} แบบที่แม่นที่สุดจาก {n} แบบสถิติในการทดสอบย้อนหลังของ"
        "ขอบเขตนี้) ถ่วงน้ำหนักรวมกับแบบไปป์ไลน์",
        "en": "It is the mean of {members} (the {k} most accurate of the {n} statistical "
        "models in this backtest), blended with the pipeline model.",
    },
    "fc_headline_pipeline": {
        "th": " ตัวเลขนี้มาจากแบบไปป์ไลน์อย่างเดียว เพราะประวัติสั้นเกินกว่าจะใช้แบบสถิติ",
        "en": "It is the pipeline model's forecast: the history is too short for the statistical "
        "models.",
    },
    "fc_headline_baseline": {
        "th": " ตัวเลขนี้คือ{model} เพราะในการทดสอบย้อนหลังแบบนี้แม่นกว่าแบบผสมอย่างชัดเจน (MASE {mase} "
        "เทียบ {blend_mase} ต่ำกว่าเกิน {margin})",
        "en": "It is the {model} forecast: in the backtest it was clearly more accurate than the "
        "blend of the statistical models and the pipeline (MASE {mase} against {blend_mase}, "
        "more than {margin} lower).",
    },
    "fc_headline_close": {
        "th": " ในการทดสอบย้อนหลัง {model} แม่นกว่าเล็กน้อย (MASE {mase} เทียบ {blend_mase}) แต่แบบพื้นฐาน"
        "จะเป็นตัวเลขหลักเฉพาะเมื่อ MASE ต่ำกว่าเกิน {margin} เพราะส่วนต่างที่น้อยกว่านั้นแยกไม่ออกจากความบังเอิญ",
        "en": "The {model} forecast was slightly more accurate in the backtest (MASE {mase} "
        "against {blend_mase}), but a baseline leads only when its MASE is more than {margin} "
        "lower: a smaller gap cannot be told from chance.",
    },
    "fc_prophet_best": {
        "th": " Prophet แม่นที่สุดในบรรดาแบบสถิติ ({models})",
        "en": "Prophet was the most accurate of the statistical models ({models}).",
    },
    "fc_prophet_beaten": {
        "th": " Prophet แม่นน้อยกว่า {models} ในการทดสอบย้อนหลังนี้",
        "en": "Prophet was less accurate than {models} in this backtest.",
    },
    "fc_quota_sentence": {
        "th": " โอกาสทำได้ตามเป้า{quarter} ({quota}) ตามการพยากรณ์: {probability}",
        "en": "The chance of meeting the {quarter} quota of {quota} is {probability}.",
    },
    "fc_best_model": {
        "th": " ในการทดสอบย้อนหลัง {folds} เดือน แบบจำลองที่แม่นที่สุดคือ{model} (MASE {mase})",
        "en": "Over the {folds}-month backtest the most accurate model was {model} (MASE {mase}).",
    },
    "fc_beats": {
        "th": " {model} แม่นกว่าแบบพื้นฐานที่ดีที่สุด ({baseline}): sMAPE {error} เทียบ {base_error}",
        "en": "{model} beat the best baseline ({baseline}): sMAPE {error} against {base_error}.",
    },
    "fc_not_beats": {
        "th": " {model} ไม่แม่นกว่าแบบพื้นฐาน ({baseline}): sMAPE {error} เทียบ {base_error} "
        "ควรใช้ตัวเลขนี้อย่างระมัดระวัง",
        "en": "{model} did not beat the simple baseline ({baseline}): sMAPE {error} against "
        "{base_error}; treat its numbers with care.",
    },
    "fc_booked": {"th": "ปิดได้แล้วในไตรมาส", "en": "Won so far this quarter"},
    "fc_quarter_starts": {"th": "ไตรมาสเริ่มเดือน", "en": "The quarter starts in"},
    "fc_blend_remaining": {
        "th": "พยากรณ์เดือนที่เหลือ ({model})",
        "en": "Forecast for the remaining months ({model})",
    },
    "fc_probability": {"th": "โอกาสทำได้ตามเป้า", "en": "Probability of meeting quota"},
    "fc_probability_method": {
        "th": "โอกาสจำลองจากตัวอย่างพยากรณ์ของ Prophet {samples} เส้นทาง ปรับค่ากลางและช่วง 80% "
        "ให้ตรงกับ{model}",
        "en": "The probability is simulated from {samples} Prophet predictive sample paths, "
        "re-centred on {model} and scaled to its 80% interval.",
    },
    "fc_quarter_closed": {
        "th": "ไตรมาสนี้ปิดแล้ว: ไม่มีเดือนที่ต้องพยากรณ์",
        "en": "The quarter is complete: nothing left to forecast.",
    },
    "fc_no_probability": {
        "th": "ไม่มีการประเมินโอกาส: ต้องใช้พยากรณ์ของ Prophet",
        "en": "No probability: it needs the Prophet forecast, which is withheld.",
    },
    "fc_no_quota": {
        "th": "ไม่มีเป้าหมาย (ตาราง quotas) สำหรับไตรมาสนี้",
        "en": "No quota for this quarter (quotas table).",
    },
    "fc_no_categories": {
        "th": "ข้อมูลไม่มีคอลัมน์ forecast_category: เพิ่มในตาราง opportunities "
        "(commit, best_case, pipeline, omitted) เพื่อแสดงยอดตามการคาดการณ์ของพนักงานขาย",
        "en": "The data has no forecast_category: add it to opportunities (commit, best_case, "
        "pipeline, omitted) to see the reps' commit and best-case roll-ups here.",
    },
    "fc_no_revenue": {
        "th": "ไม่มีรายได้จากดีลที่ปิดได้ในประวัติ จึงไม่มีสิ่งที่จะพยากรณ์",
        "en": "There is no won revenue in the history, so there is nothing to forecast.",
    },
    "fc_note_prophet_withheld": {
        "th": " ไม่แสดงพยากรณ์ของแบบสถิติ (ETS, Theta, ARIMA, Prophet): ประวัติสั้นเกินไป (น้อยกว่า 12 เดือน)",
        "en": "The statistical forecasts (ETS, Theta, ARIMA, Prophet) are withheld: under 12 "
        "months of history.",
    },
    "fc_note_prophet_low_confidence": {
        "th": " ความเชื่อมั่นต่ำ: ประวัติน้อยกว่า 2 ปี แบบสถิติจึงไม่ประมาณฤดูกาลรายปี",
        "en": "Low confidence: under two years of history, so no model fits yearly seasonality.",
    },
    "fc_backtest_no_signal": {
        "th": " ในการทดสอบย้อนหลัง {folds} เดือน ทุกแบบจำลองคลาดเคลื่อนเท่ากัน (เดือนที่ทดสอบแทบไม่มี"
        "รายได้) จึงบอกไม่ได้ว่าแบบใดแม่นกว่า",
        "en": "Over the {folds}-month backtest every model was equally accurate (the test months "
        "had next to no revenue), so no model can be called better.",
    },
    "fx_method_no_tests": {
        "th": "ข้อมูลชุดนี้ยังไม่พอให้ทดสอบได้แม้แต่ข้อเดียว (พนักงานขายที่มีคะแนนทักษะหรือการฝึกอบรมน้อยเกินไป)",
        "en": "No test could run on this data (too few reps with skill scores or trainings).",
    },
    "fc_optimistic": {"th": "ดีเกินจริง: ไม่มีสแนปช็อต", "en": "optimistic: no snapshots"},
    "fc_optimistic_note": {
        "th": "ดีเกินจริง: ไม่มีสแนปช็อตไปป์ไลน์ การทดสอบย้อนหลังของแบบไปป์ไลน์ (และแบบผสมที่ใช้แบบไปป์ไลน์) "
        "ใช้มูลค่าและวันปิดที่คาดของดีลตามค่าปัจจุบัน ไม่ใช่ตามที่รู้ ณ จุดตัดแต่ละจุด "
        "พยากรณ์จริงจะคลาดเคลื่อนมากกว่านี้",
        "en": "Optimistic: with no pipeline snapshots, the backtest of the pipeline model (and of "
        "the blend that uses it) valued each cutoff's open deals at their amounts and expected "
        "close dates as they are now, not as known at the cutoff; a live forecast will do worse.",
    },
    "fc_note_backtest_short": {
        "th": " ประวัติสั้นเกินกว่าจะทดสอบย้อนหลังได้ครบ (น้อยกว่า 3 เดือนให้ทดสอบ)",
        "en": "Too little history for a full backtest (fewer than 3 test months).",
    },
    "fc_method_backtest": {
        "th": "ทดสอบย้อนหลังแบบ rolling origin {folds} จุดตัด แต่ละจุดใช้เฉพาะข้อมูลถึงจุดตัด "
        "พยากรณ์ล่วงหน้า {horizon} เดือน",
        "en": "Rolling-origin backtest over {folds} cutoffs, each using only data up to its "
        "cutoff, {horizon} months ahead.",
    },
    "fc_method_no_backtest": {
        "th": "ไม่มีการทดสอบย้อนหลัง: ประวัติรายได้ {months} เดือนยังไม่พอ (จุดตัดแรกต้องมีข้อมูล {needs} เดือน)",
        "en": "No backtest ran: {months} months of revenue are too few (the first cutoff needs "
        "{needs}).",
    },
    "fc_method_models": {
        "th": "แบบสถิติ 4 แบบบนรายได้รายเดือน: ETS (เลือกรูปแบบด้วย AICc), Theta, ARIMA (เลือกอันดับอัตโนมัติ) "
        "และ Prophet (บนลอการิทึมของรายได้เมื่อทุกเดือนมีรายได้ ฤดูกาลรายปี {fourier} พจน์) ฤดูกาลรายปีต้องมีประวัติ "
        "{min_months} เดือน น้อยกว่า {min_prophet} เดือนจะไม่แสดง; "
        "แบบพื้นฐาน: ค่าเดือนเดียวกันปีก่อน และค่าเฉลี่ย {trailing} เดือนล่าสุด; "
        "แบบไปป์ไลน์: ดีลที่เปิดอยู่ × สัดส่วนมูลค่าที่เคยปิดได้ตามขั้นและวันปิดที่คาด "
        "บวกรายได้จากดีลที่ยังไม่ถูกสร้าง",
        "en": "Four statistical models on monthly won revenue: ETS (its form chosen by AICc), "
        "Theta, ARIMA (orders chosen automatically) and Prophet (on log revenue when every "
        "month has some, {fourier} yearly Fourier terms); yearly seasonality needs {min_months} months, and all four are "
        "withheld under {min_prophet}. Baselines: the same month last year, and the mean of the "
        "last {trailing} months. Pipeline: open deals × the share of value historically won by "
        "stage and expected-close timing, plus revenue from deals not yet created.",
    },
    "fc_method_combination": {
        "th": "แบบรวมคือค่าเฉลี่ยของ {k} แบบสถิติที่แม่นที่สุดในการทดสอบย้อนหลัง (ตอนนี้: {members}) "
        "ช่วง 80% ปรับด้วยตัวคูณ {scale} ให้ครอบคลุม 80% ของความคลาดเคลื่อนย้อนหลังของแบบรวมเอง",
        "en": "The combination is the mean of the {k} statistical models most accurate in the "
        "backtest (now: {members}); its 80% band is scaled by {scale} so that it would have held "
        "80% of the combination's own backtest errors.",
    },
    "fc_method_blend_weights": {
        "th": "แบบผสมถ่วงน้ำหนักแบบรวมกับแบบไปป์ไลน์ด้วยส่วนกลับของ MSE ย้อนหลัง (เดือนหน้า: {weights}) "
        "ทุกการเลือกที่จุดตัดหนึ่งใช้เฉพาะความคลาดเคลื่อนที่รู้แล้ว ณ จุดตัดนั้น",
        "en": "The blend weights the combination and the pipeline by the inverse of their "
        "backtest mean squared error (next month: {weights}); at each backtest cutoff every "
        "choice used only the errors known by then.",
    },
    "fc_method_blend_equal": {
        "th": "แบบผสมให้น้ำหนักแบบรวมและแบบไปป์ไลน์เท่ากัน (ไม่มีผลทดสอบย้อนหลังให้ถ่วงน้ำหนัก)",
        "en": "The blend weights the combination and the pipeline equally (no backtest to weight "
        "them by).",
    },
    "fc_method_blend_pipeline": {
        "th": "แบบผสมคือแบบไปป์ไลน์อย่างเดียว เพราะประวัติสั้นเกินกว่าจะใช้แบบสถิติ",
        "en": "The blend is the pipeline model alone: the history is too short for the "
        "statistical models.",
    },
    "fc_method_mase": {
        "th": "MASE ต่ำกว่า 1 คือแม่นกว่าค่าเดือนเดียวกันปีก่อน",
        "en": "MASE below 1 beats the seasonal naive forecast.",
    },
    "fc_table_gaps": {
        "th": "– คือเดือนที่แบบจำลองนั้นพยากรณ์ไม่ได้: ค่าเดือนเดียวกันปีก่อนต้องมีข้อมูลเดือนนั้นของปีที่แล้ว "
        "และแบบสถิติไม่แสดงเมื่อประวัติสั้นกว่า {min_prophet} เดือน",
        "en": "– marks a month a model cannot forecast: the seasonal naive needs the same month a "
        "year before, and the statistical models are withheld under {min_prophet} months of "
        "history.",
    },
    # --- skill and training effects ---
    "effects_title": {
        "th": "ทักษะและการฝึกอบรม: อะไรส่งผลต่อยอดขาย",
        "en": "Skills and training: what moves results",
    },
    "fx_section_summary": {"th": "ข้อค้นพบหลัก", "en": "Key findings"},
    "fx_section_skill_outcome": {
        "th": "1. ทักษะสัมพันธ์กับผลงานใน 12 เดือนถัดมาหรือไม่",
        "en": "1. Do skill scores go with results over the following 12 months?",
    },
    "fx_section_training_skill": {
        "th": "2. การฝึกอบรมเพิ่มคะแนนทักษะที่ฝึกหรือไม่",
        "en": "2. Did training raise the trained skill?",
    },
    "fx_section_training_outcome": {
        "th": "3. การฝึกอบรมเปลี่ยนผลงานหรือไม่ (เทียบกับผู้ที่ยังไม่ได้ฝึก)",
        "en": "3. Did training change results (against reps not trained)?",
    },
    "fx_section_pre_trend": {
        "th": "ตรวจแนวโน้มก่อนการฝึก (ควรใกล้ 0)",
        "en": "Pre-trend check: the same comparison before training (should be near 0)",
    },
    "fx_section_method": {
        "th": "วิธีการทางสถิติของส่วนทักษะและการอบรม",
        "en": "Statistical method: skills and training",
    },
    "skill_negotiation": {"th": "การเจรจาต่อรอง", "en": "Negotiation"},
    "skill_presentation": {"th": "การนำเสนอ", "en": "Presentation"},
    "skill_discovery": {"th": "การค้นหาความต้องการ", "en": "Discovery"},
    "skill_product_knowledge": {"th": "ความรู้ผลิตภัณฑ์", "en": "Product knowledge"},
    "skill_closing": {"th": "การปิดการขาย", "en": "Closing"},
    "outcome_win_rate": {"th": "อัตราการปิดการขาย", "en": "win rate"},
    "outcome_negotiation_win_rate": {
        "th": "อัตราปิดได้ของดีลที่ถึงขั้นเจรจา",
        "en": "win rate of deals that reached negotiation",
    },
    "outcome_quota_attainment": {"th": "การบรรลุเป้าหมาย", "en": "quota attainment"},
    "outcome_score_change": {"th": "คะแนนทักษะที่ฝึก", "en": "trained skill score"},
    "q_skill_outcome": {"th": "ทักษะกับผลงาน (Spearman)", "en": "Skill vs results (Spearman)"},
    "q_skill_outcome_adjusted": {
        "th": "ทักษะกับผลงาน ปรับด้วยอายุงาน (ต่อ 10 คะแนน)",
        "en": "Skill vs results, tenure-adjusted (per 10 points)",
    },
    "q_training_skill": {
        "th": "การฝึกกับคะแนนทักษะ (คะแนน)",
        "en": "Training vs skill score (points)",
    },
    "q_training_outcome": {"th": "การฝึกกับผลงาน (ผลต่างของผลต่าง)", "en": "Training vs results (DiD)"},
    "q_pre_trend": {"th": "แนวโน้มก่อนการฝึก", "en": "Pre-trend (placebo)"},
    "estimate": {"th": "ค่าประมาณ", "en": "Estimate"},
    "p_adjusted": {"th": "p ปรับ (BH)", "en": "p (BH)"},
    "mde": {"th": "MDE", "en": "MDE"},
    "verdict": {"th": "สรุป", "en": "Verdict"},
    "course": {"th": "หลักสูตร", "en": "Course"},
    "skill": {"th": "ทักษะ", "en": "Skill"},
    "outcome": {"th": "ผลลัพธ์", "en": "Outcome"},
    "pp": {"th": " จุด", "en": " pp"},
    "v_positive": {"th": "มีหลักฐานว่าเพิ่มขึ้น", "en": "evidence of an increase"},
    "v_negative": {"th": "มีหลักฐานว่าลดลง", "en": "evidence of a decrease"},
    "v_no_effect": {"th": "ไม่พบผลที่มีนัยสำคัญในทางปฏิบัติ", "en": "no effect that matters"},
    "v_not_enough_evidence": {"th": "หลักฐานยังไม่พอ", "en": "not enough evidence"},
    "fx_sentence_positive": {
        "th": "{subject}: {what} สูงขึ้นอย่างมีหลักฐาน ({estimate}, ช่วง 95% {low} ถึง {high}, n = {n})",
        "en": "{subject}: {what} is higher, with evidence ({estimate}, 95% interval {low} to {high}, n = {n}).",
    },
    "fx_sentence_negative": {
        "th": "{subject}: {what} ต่ำลงอย่างมีหลักฐาน ({estimate}, ช่วง 95% {low} ถึง {high}, n = {n})",
        "en": "{subject}: {what} is lower, with evidence ({estimate}, 95% interval {low} to {high}, n = {n}).",
    },
    # associations (correlations, before/after without a control group) are worded as such;
    # "effect" wording is kept for the training difference-in-differences
    "fx_assoc_positive": {
        "th": "{subject}: สัมพันธ์กับ{what}ที่สูงกว่า ({estimate}, ช่วง 95% {low} ถึง {high}, n = {n})",
        "en": "{subject}: goes with a higher {what} ({estimate}, 95% interval {low} to {high}, "
        "n = {n}); an association, not evidence of cause.",
    },
    "fx_assoc_negative": {
        "th": "{subject}: สัมพันธ์กับ{what}ที่ต่ำกว่า ({estimate}, ช่วง 95% {low} ถึง {high}, n = {n})",
        "en": "{subject}: goes with a lower {what} ({estimate}, 95% interval {low} to {high}, "
        "n = {n}); an association, not evidence of cause.",
    },
    "v_assoc_positive": {"th": "สัมพันธ์ทางบวก", "en": "positive association"},
    "v_assoc_negative": {"th": "สัมพันธ์ทางลบ", "en": "negative association"},
    "fx_company_only": {
        "th": "ทีมมีข้อมูลไม่พอสำหรับคำถามนี้ ผลระดับบริษัทอยู่ในรายงานทั้งบริษัท",
        "en": "The team has too little data for this question; the company-wide result is in "
        "the company report.",
    },
    "fx_company_reference": {
        "th": "การทดสอบ {n} รายการที่ทีมมีข้อมูลไม่พอใช้ข้อมูลทั้งบริษัท และแสดงครั้งเดียวในรายงานทั้งบริษัท "
        "(มีหลักฐาน {k} รายการ)",
        "en": "{n} tests for which the team has too little data use the whole company's data and "
        "are shown once, in the company report ({k} with evidence).",
    },
    "fx_subject_skill": {"th": "คะแนน{skill}", "en": "{skill} score"},
    "fx_subject_course": {"th": "หลักสูตร {course} ({skill})", "en": "Course {course} ({skill})"},
    "fx_none": {
        "th": "ไม่มีผลที่มีหลักฐานหลังปรับการทดสอบหลายครั้ง",
        "en": "No result holds up after adjusting for the number of tests.",
    },
    "fx_no_data": {
        "th": "ข้อมูลไม่มีคะแนนประเมินทักษะหรือประวัติการฝึกอบรม: เพิ่มคะแนนประเมินทักษะรายไตรมาสและ"
        "ประวัติการฝึกอบรม (วิธีเพิ่มอยู่ในภาคผนวก) เพื่อดูการวิเคราะห์นี้",
        "en": "The data has no skill assessments or training records: add quarterly skill scores "
        "and the training records (how to add them is in the appendix) to see this analysis.",
    },
    "fx_method": {
        "th": "(1) สหสัมพันธ์ Spearman ระหว่างคะแนนเฉลี่ยของทักษะใน 12 เดือนก่อน กับผลงานใน 12 เดือนล่าสุด "
        "ช่วง 95% จาก bootstrap {boot} ครั้ง และ OLS ปรับอายุงาน (robust HC3) เมื่อมีอย่างน้อย 20 คน; "
        "(2) paired t-test คะแนนทักษะครั้งแรกหลังจบหลักสูตรเทียบครั้งสุดท้ายก่อนจบ; "
        "(3) ผลต่างของผลต่าง: ผลงาน 6 เดือนหลังจบหลักสูตรเทียบ 6 เดือนก่อน เทียบกับผู้ที่ไม่ได้ฝึกในเดือนเดียวกัน "
        "ช่วง 95% จาก bootstrap และค่า p จากการสลับกลุ่ม {perm} ครั้ง; ตรวจแนวโน้มก่อนการฝึกด้วยวิธีเดียวกัน; "
        "(4) ปรับค่า p ด้วย Benjamini-Hochberg ({tests} การทดสอบ; การทดสอบระดับบริษัทปรับเป็นชุดเดียวกันครั้งเดียว ค่าเดียวกันในทุกรายงาน); "
        "(5) ผลเล็กสุดที่ตรวจพบได้ที่ power 80% และ 5%; "
        "'ไม่พบผลที่มีความหมาย' เมื่อช่วง 95% ทั้งช่วงเล็กกว่าขนาดที่มีความหมาย "
        "(สหสัมพันธ์ 0.3, 5 คะแนน, 5 จุดของอัตราการปิด, 10 จุดของการบรรลุเป้า) มิฉะนั้น 'หลักฐานยังไม่พอ'; "
        "ทีมที่มีพนักงานขายน้อยใช้ข้อมูลทั้งบริษัท",
        "en": "(1) Spearman correlation between a rep's mean score on a skill over the 12 months before "
        "and their results over the last 12 months, 95% interval from {boot} bootstrap resamples, "
        "and an OLS adjusted for tenure (HC3 robust errors) where there are at least 20 reps; "
        "(2) paired t-test of the first score after completing the course against the last one "
        "before; (3) difference in differences: results in the 6 months after completion against "
        "the 6 months before, compared with reps not trained over the same months; 95% bootstrap "
        "interval and a permutation p-value ({perm} permutations); the same comparison on the two "
        "half-years before training checks for pre-existing trends; (4) p-values adjusted with "
        "Benjamini-Hochberg over the {tests} tests (the company-wide tests are one family, adjusted once: the same number in every report); (5) the minimum detectable effect at 80% power "
        "and 5%. 'No effect that matters' means the whole 95% interval is smaller than a relevant "
        "size (a correlation of 0.3, 5 score points, 5 points of win rate, 10 points of quota "
        "attainment); otherwise 'not enough evidence'. Teams with too few reps use company data.",
    },
    "summary_reps": {
        "th": "พนักงานขาย {at_quota} จาก {n_reps} คนทำได้ตามเป้าหมาย",
        "en": "{at_quota} of {n_reps} account executives reached quota",
    },
    "funnel_populations": {
        "th": "จำนวนในขั้นแรกต่างกันในแต่ละมุมมองเพราะนับคนละกลุ่ม: กรวยการขายนับดีลที่สร้างใน 12 "
        "เดือนล่าสุด อัตราผ่านแต่ละขั้นนับเฉพาะดีลกลุ่มเดียวกันที่ออกจากขั้นนั้นแล้ว (ผ่านหรือปิด) "
        "อัตราการปิดการขายนับดีลที่ปิดใน 12 เดือนล่าสุดไม่ว่าจะสร้างเมื่อใด "
        "และระยะเวลาในแต่ละขั้นนับช่วงที่อยู่ในขั้นซึ่งสิ้นสุดใน 12 เดือนล่าสุด",
        "en": "Why the first stage's count differs between views: the funnel counts the deals "
        "created in the last 12 months; a step rate counts those of them that have left the step "
        "(moved on or closed there); the win rates count the deals closed in the last 12 months, "
        "whenever created; time in stage counts the stays in a stage that ended in the last 12 "
        "months.",
    },
    # --- page 1: the brief (analysis.review, docs/brief.md) ---
    "brief": {"th": "สรุปสำหรับผู้บริหาร", "en": "The month in brief"},
    "brief_month": {"th": "เดือนนี้:", "en": "The month:"},
    "brief_quarter_head": {"th": "ไตรมาส:", "en": "The quarter:"},
    "brief_quarter": {
        "th": "{quarter} ปิดได้แล้วและคาดการณ์ {parts} เทียบเป้า {quota} (ยอดปิดได้และมั่นใจ "
        "(Commit) คิดเป็น {covered} ของเป้า)",
        "en": "{quarter}: {parts} against the quota of {quota} (won and commit make {covered} of it)",
    },
    "brief_quarter_ahead": {
        "th": "{quarter} ซึ่งเริ่มเดือน{start}: คาดการณ์ {parts} เทียบเป้า {quota} (ยอดมั่นใจ "
        "(Commit) คิดเป็น {covered} ของเป้า)",
        "en": "{quarter}, which starts in {start}: {parts} against the quota of {quota} (commit "
        "makes {covered} of it)",
    },
    "brief_quarter_ahead_quota": {
        "th": "{quarter} ซึ่งเริ่มเดือน{start}: เป้า {quota}",
        "en": "{quarter}, which starts in {start}: a quota of {quota}",
    },
    "brief_won": {"th": "ปิดได้ {amount}", "en": "won {amount}"},
    "brief_commit": {"th": "มั่นใจ (Commit) {amount}", "en": "commit {amount}"},
    "brief_best_case": {"th": "กรณีดีที่สุด (Best case) {amount}", "en": "best case {amount}"},
    "brief_chance": {
        "th": " โอกาสทำได้ตามเป้าของไตรมาสตามการพยากรณ์: {probability}",
        "en": "; the forecast's chance of making the quota: {probability}",
    },
    "brief_quarter_closed": {"th": " (ไตรมาสปิดแล้ว)", "en": " (the quarter has closed)"},
    "brief_risks": {"th": "ความเสี่ยงหลัก", "en": "The largest risks"},
    "brief_no_risks": {
        "th": "ไม่พบความเสี่ยงตามเกณฑ์ (ดูเกณฑ์ในภาคผนวก)",
        "en": "No risk past the rules' thresholds (see the appendix for the rules).",
    },
    "brief_actions": {"th": "สิ่งที่ควรทำ", "en": "Recommended actions"},
    "risk_off_target": {
        "th": "{kpi} อยู่ที่ {now} ห่างจากเป้า {target}",
        "en": "{kpi} at {now}, off its target of {target}",
    },
    "risk_falling": {
        "th": "{kpi} เปลี่ยน {change} เทียบค่าเฉลี่ย 3 เดือนก่อนหน้า ({now} เทียบ {baseline})",
        "en": "{kpi} {change} against the mean of the three months before ({now} against {baseline})",
    },
    "risk_quarter": {
        "th": "โอกาสทำได้ตามเป้า{quarter} ({quota}) ตามการพยากรณ์: {probability}",
        "en": "The forecast's chance of making the {quarter} quota of {quota}: {probability}",
    },
    "risk_concentration": {
        "th": "พึ่งพาพนักงานขายคนเดียว: {rep} สร้างรายได้ {share} ของรายได้ 3 เดือนล่าสุด "
        "(พนักงานขาย {half} จาก {reps} คนสร้างรายได้ครึ่งหนึ่ง)",
        "en": "Dependence on one rep: {rep} brought {share} of the won revenue of the last three "
        "months ({half} of {reps} reps make half of it)",
    },
    "risk_slipped": {
        "th": "ดีล {deals} รายการ มูลค่า {amount} ที่คาดว่าจะปิดในเดือนนี้ยังไม่ปิด ({share} ของเป้าเดือน)",
        "en": "{deals} deals worth {amount} expected to close this month are still open ({share} "
        "of the month's quota)",
    },
    "risk_losses": {
        "th": "มูลค่าดีลที่เสีย {lost} ({deals} ดีล) เพิ่มขึ้น {change} จากค่าเฉลี่ย 3 เดือนก่อนหน้า "
        "({baseline}) สาเหตุที่มีมูลค่ามากที่สุด: {reason} ({reason_amount})",
        "en": "{lost} lost ({deals} deals), {change} against the mean of the three months before "
        "({baseline}); the largest reason: {reason} ({reason_amount})",
    },
    "act_close_gap": {
        "th": "ปิดช่องว่างของ{quarter} {gap}: ยอดปิดได้และมั่นใจ (Commit) รวม {covered} จากเป้า {quota} "
        "ผลักดันดีลกรณีดีที่สุด (Best case) มูลค่า {best_case} ให้เป็นมั่นใจ (Commit)",
        "en": "Close the {quarter} gap of {gap}: won and commit make {covered} of the {quota} quota; "
        "work the {best_case} in best case toward commit",
    },
    "act_close_gap_nocat": {
        "th": "ปิดช่องว่างของ{quarter} {gap}: ยอดปิดได้ {covered} จากเป้า {quota} "
        "ทบทวนดีลที่คาดปิดในไตรมาสกับพนักงานขายทุกคน",
        "en": "Close the {quarter} gap of {gap}: {covered} won of the {quota} quota; review the "
        "deals due this quarter with every rep",
    },
    "act_close_gap_ahead": {
        "th": "ปิดช่องว่างของ{quarter} {gap}: ยอดมั่นใจ (Commit) {covered} จากเป้า {quota} "
        "ผลักดันดีลกรณีดีที่สุด (Best case) มูลค่า {best_case} ให้เป็นมั่นใจ (Commit)",
        "en": "Close the {quarter} gap of {gap}: commit makes {covered} of the {quota} quota; "
        "work the {best_case} in best case toward commit",
    },
    "act_close_gap_ahead_nocat": {
        "th": "วางแผนเป้า{quarter} {quota} ซึ่งเริ่มเดือน{start}: ทบทวนดีลที่คาดปิดในไตรมาสนั้นกับพนักงานขายทุกคน",
        "en": "Plan for the {quarter} quota of {quota}, which starts in {start}: review the deals "
        "due that quarter with every rep",
    },
    "act_close_gap_month": {
        "th": "ทบทวนยอดที่ขาดจากเป้าเดือนนี้ {gap} กับพนักงานขายที่ยังไม่ถึงเป้า",
        "en": "Review the month's shortfall of {gap} with each rep below quota",
    },
    "act_build_pipeline": {
        "th": "สร้างไปป์ไลน์ใหม่ {needed} ที่คาดปิดใน 3 เดือนข้างหน้า เพื่อให้ความครอบคลุมถึงเป้า {target}",
        "en": "Create {needed} of new pipeline due in the next three months to reach the coverage "
        "target of {target}",
    },
    "act_build_pipeline_fall": {
        "th": "เร่งสร้างไปป์ไลน์: {kpi} เปลี่ยน {change} เทียบค่าเฉลี่ย 3 เดือนก่อนหน้า",
        "en": "Rebuild the pipeline: {kpi} {change} against the mean of the three months before",
    },
    "act_review_losses": {
        "th": "ทบทวนดีลที่เสียเพราะ {reason} กับพนักงานขาย ({deals} ดีล {amount} หรือ {share} ของมูลค่าที่เสีย)",
        "en": "Review the deals lost to {reason} with their reps ({deals} deals, {amount}, {share} "
        "of the value lost)",
    },
    "act_review_losses_plain": {
        "th": "ทบทวนดีลที่เสียในเดือนนี้กับพนักงานขาย",
        "en": "Review this month's lost deals with their reps",
    },
    "act_unstick": {
        "th": "ทบทวนดีล {deals} รายการที่เปิดนานกว่า {days} วัน ({amount}) ว่าจะเดินหน้าหรือปิด",
        "en": "Review the {deals} deals open longer than {days} days ({amount}): advance or close them",
    },
    "act_spread": {
        "th": "ลดการพึ่งพา {rep} ({share} ของรายได้): ทบทวนไปป์ไลน์ของพนักงานขายคนอื่น "
        "และกำหนดผู้ดูแลสำรองของลูกค้าหลัก",
        "en": "Lower the dependence on {rep} ({share} of revenue): review the other reps' pipeline "
        "and name a second owner for the key accounts",
    },
    "act_requalify": {
        "th": "ทบทวนดีลที่เลื่อน {deals} รายการ ({amount}) กับพนักงานขายและกำหนดวันปิดใหม่",
        "en": "Re-qualify the {deals} slipped deals ({amount}) with their reps and set new close dates",
    },
    "act_kpi_plan": {
        "th": "วางแผนกับผู้รับผิดชอบให้ {kpi} จาก {now} ไปถึงเป้า {target}",
        "en": "Agree a plan to bring {kpi} from {now} to its target of {target}",
    },
    # --- the deals behind the month ---
    "deals_section": {"th": "ดีลที่อยู่เบื้องหลังผลของเดือน", "en": "The deals behind the month"},
    "loss_reasons": {"th": "สาเหตุที่เสียดีลในเดือนนี้", "en": "Why deals were lost this month"},
    "loss_reason": {"th": "สาเหตุ", "en": "Reason"},
    "no_reason": {"th": "(ไม่ระบุสาเหตุ)", "en": "(no reason given)"},
    "share_of_lost": {"th": "สัดส่วนมูลค่าที่เสีย", "en": "Share of value lost"},
    "share_before": {"th": "สัดส่วน 3 เดือนก่อนหน้า", "en": "Share, 3 months before"},
    "company_share": {"th": "สัดส่วนทั้งบริษัท", "en": "Company share"},
    "no_losses": {"th": "ไม่มีดีลที่เสียในเดือนนี้", "en": "No deal was lost this month."},
    "deals_won_top": {"th": "ดีลที่ปิดได้มูลค่าสูงสุด", "en": "The largest deals won"},
    "deals_lost_top": {"th": "ดีลที่เสียมูลค่าสูงสุด", "en": "The largest deals lost"},
    "deals_slipped_top": {
        "th": "ดีลที่เลื่อนออกไปมูลค่าสูงสุด (คาดว่าจะปิดในเดือนนี้ ณ ต้นเดือน แต่ยังไม่ปิด)",
        "en": "The largest deals slipped (expected this month at its start, still open at its end)",
    },
    "no_deals_won": {"th": "ไม่มีดีลที่ปิดได้ในเดือนนี้", "en": "No deal was won this month."},
    "no_deals_lost": {"th": "ไม่มีดีลที่เสียในเดือนนี้", "en": "No deal was lost this month."},
    "no_deals_slipped": {
        "th": "ไม่มีดีลที่เลื่อนออกจากเดือนนี้",
        "en": "No deal slipped out of this month.",
    },
    "slipped_unknown": {
        "th": "ข้อมูลไม่มีภาพรวมไปป์ไลน์รายสัปดาห์ (snapshots) จึงไม่ทราบว่าดีลใดเลื่อนออกไป",
        "en": "The data have no pipeline snapshots, so which deals slipped is not known.",
    },
    "account": {"th": "ลูกค้า", "en": "Account"},
    "deal_type": {"th": "ประเภทดีล", "en": "Deal type"},
    "expected_then": {"th": "วันที่คาดปิด ณ ต้นเดือน", "en": "Expected close, month start"},
    "expected_now": {"th": "วันที่คาดปิดล่าสุด", "en": "Expected close, month end"},
    "stage_now": {"th": "ขั้นตอน ณ สิ้นเดือน", "en": "Stage at month end"},
    "concentration_sentence": {
        "th": "{rep} สร้างรายได้ {share} ของรายได้ 3 เดือนล่าสุด ({revenue}); พนักงานขาย {half} "
        "จาก {reps} คนที่ปิดดีลได้สร้างรายได้ครึ่งหนึ่ง",
        "en": "{rep} brought {share} of the won revenue of the last three months ({revenue}); {half} "
        "of the {reps} reps who won deals make half of it.",
    },
    "concentration_none": {
        "th": "ไม่มีรายได้จากดีลที่ปิดได้ใน 3 เดือนล่าสุด",
        "en": "No deal was won in the last three months.",
    },
    "teams_worst_first": {
        "th": "ทุกทีม เรียงจากการบรรลุเป้าต่ำสุด",
        "en": "Every team, lowest attainment first",
    },
    "teams_worst_first_no_quota": {
        "th": "ทุกทีม เรียงจากรายได้ต่ำสุด",
        "en": "Every team, lowest won revenue first",
    },
    "quarter_chance": {"th": "โอกาสทำได้ตามเป้าไตรมาส", "en": "Chance of the quarter"},
    "teams_off_target": {"th": "ทีมที่ห่างเป้า: {teams}", "en": "Teams off target: {teams}"},
    "teams_off_target_many": {
        "th": "ทีมที่ห่างเป้า {n} จาก {total} ทีม ต่ำสุด: {teams}",
        "en": "Teams off target: {n} of {total}; the lowest: {teams}",
    },
}
