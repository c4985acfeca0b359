select id, name, lower(stage) as stage, amount from {{ ref('raw_deals') }}
