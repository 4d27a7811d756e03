-- The table sqlmon watches: each prediction with the features of its account. Its contract (predictions.yml) fixes
-- the columns and types, so the casts here say what the contract promises.
select
    s.score_id,
    s.scored_at,
    s.score,
    s.model_version,
    cast(a.country as varchar) as country,
    cast(a.account_age_days as integer) as account_age_days
from {{ ref('stg_scores') }} as s
left join {{ ref('raw_accounts') }} as a using (account_id)
