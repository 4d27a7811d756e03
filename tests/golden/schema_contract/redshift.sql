-- sqlmon compile: 1 monitor(s), dialect redshift

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 0 statement(s)
-- reading the catalog only (no scan): schema_contract
