select stage, count(*) as deals, sum(amount) as amount
from {{ ref('stg_deals') }}
group by stage
