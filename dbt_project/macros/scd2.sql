{#-
  SCD type 2 history built from the deliveries themselves, keyed on their business dates (never on build time), so
  that loading 30 days at once gives exactly the history 30 daily builds give.

  `rows` is a query with one row per key and business date (`_business_date`) holding the tracked attributes.
  A new version starts on the business date a key's tracked attributes first differ from its previous delivered row.
  `valid_from` is inclusive, `valid_to` exclusive; the open version ends on var('open_end_date').

  For full-snapshot extracts pass `delivery_dates` (a query of the business dates delivered for the system, column
  business_date): a key missing from a snapshot is deleted from that date on (its version ends there) and a key that
  comes back starts a new version.
-#}
{% macro scd2_history(rows, keys, tracked, delivery_dates=none) %}
    {%- set key_list = keys | join(', ') -%}
    with rows_hashed as (
        select
            *,
            {{ surrogate_key(tracked) }} as _attr_hash
        from ({{ rows }}) as r
    ),

    {% if delivery_dates %}
    delivery_calendar as (
        select
            business_date,
            lag(business_date) over (order by business_date) as previous_delivery_on,
            lead(business_date) over (order by business_date) as next_delivery_on
        from ({{ delivery_dates }}) as dd
    ),

    rows_in_sequence as (
        select
            h.*,
            lag(h._attr_hash) over w as _previous_hash,
            lag(h._business_date) over w as _previously_seen_on,
            lead(h._business_date) over w as _next_seen_on,
            c.previous_delivery_on,
            c.next_delivery_on
        from rows_hashed as h
        inner join delivery_calendar as c on c.business_date = h._business_date
        window w as (partition by {{ key_list }} order by h._business_date)
    ),

    events as (
        -- a version starts: first sighting, changed attributes, or back after missing from a snapshot
        select *, _business_date as event_on, 'start' as event_kind
        from rows_in_sequence
        where _previous_hash is null
           or _previous_hash <> _attr_hash
           or _previously_seen_on <> previous_delivery_on
        union all
        -- a version ends: the key is missing from the next delivered snapshot
        select *, next_delivery_on as event_on, 'end' as event_kind
        from rows_in_sequence
        where next_delivery_on is not null
          and (_next_seen_on is null or _next_seen_on <> next_delivery_on)
    ),
    {% else %}
    events as (
        select *, _business_date as event_on, 'start' as event_kind
        from (
            select
                h.*,
                lag(h._attr_hash) over (partition by {{ key_list }} order by h._business_date) as _previous_hash
            from rows_hashed as h
        ) as s
        where _previous_hash is null or _previous_hash <> _attr_hash
    ),
    {% endif %}

    versions as (
        select
            *,
            lead(event_on) over (partition by {{ key_list }} order by event_on, event_kind desc) as _next_event_on
        from events
    )

    select
        {% for k in keys %}{{ k }},
        {% endfor %}
        {% for t in tracked %}{{ t }},
        {% endfor %}
        event_on as valid_from,
        coalesce(_next_event_on, {{ open_end_date() }}) as valid_to,
        _next_event_on is null as is_current,
        _attr_hash as attribute_hash
    from versions
    where event_kind = 'start'
{% endmacro %}
