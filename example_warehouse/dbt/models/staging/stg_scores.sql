-- One row per score, typed; `score` is the model's predicted probability of fraud.
select
    cast(score_id as integer) as score_id,
    cast(account_id as integer) as account_id,
    cast(scored_at as timestamp) as scored_at,
    cast(score as double precision) as score,
    model_version
from {{ ref('raw_scores') }}
