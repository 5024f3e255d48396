"""What people see: the monthly reports and the site that lists them.

`params` reads params/*.yaml into typed settings; `context` opens a report for a notebook and
`views/` gives each notebook cell its one result (with `plots` and `fonts`); `batch`
(`run_monthly`) executes the report notebooks per team with papermill, on `executors`, showing
`progress`; `render` turns an executed notebook into HTML and PDF (`templates/`); `site` writes
reports/index.html. docs/architecture.md follows one team's report through these steps.
"""
