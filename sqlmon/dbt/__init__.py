"""sqlmon with dbt (docs/dbt.md): a dbt project's target as sqlmon's connection, `ref`/`source` through its manifest,
monitors declared in its property files, `sqlmon dbt build` and `sqlmon dbt sources`.

- runtime: dbt's runner in this process, under the one lock that the dbt adapter engine takes too
- target: profiles.yml and the target as a connection (sqlmon's own engine's or the dbt adapter's)
- manifest: target/manifest.json, parsed again when stale, and `ref`/`source` resolved to relations
- meta: sources and monitors declared under `meta: sqlmon:`
- build: `sqlmon dbt build`
- sources: `sqlmon dbt sources`

Each imports only those listed before it (and the dbt adapter engine imports runtime and target), never dbt
itself at module level. Nothing is re-exported here, so importing one module does not load the others.
"""
