"""One module per report notebook: `team` (the monthly team report), `company` (teams
compared), `funnel`, `forecast` and `effects`. Each opens its context once and then has one
function per notebook cell, returning a heading, a table, a figure or a sentence."""
