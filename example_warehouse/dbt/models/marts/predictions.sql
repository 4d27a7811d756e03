-- The table sqlmon watches: each prediction with the features of its account.
select
    s.score_id,
    s.scored_at,
    s.score,
    s.model_version,
    a.country,
    a.account_age_days
from {{ ref('stg_scores') }} as s
left join {{ ref('raw_accounts') }} as a using (account_id)
