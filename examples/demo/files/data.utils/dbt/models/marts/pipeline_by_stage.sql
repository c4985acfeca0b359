-- Sales: open and closed deals per stage of the pipeline, in pipeline order.
select
    stage,
    case stage
        when 'appointmentscheduled' then 1
        when 'qualifiedtobuy' then 2
        when 'presentationscheduled' then 3
        when 'decisionmakerboughtin' then 4
        when 'contractsent' then 5
        when 'closedwon' then 6
        when 'closedlost' then 7
    end as stage_order,
    count(*) as deals,
    sum(amount) as amount
from {{ ref('stg_deals') }}
group by stage
order by stage_order
