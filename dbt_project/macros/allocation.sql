{#-
  allocate_cents(relation, amount, weight, partition_by, tiebreak)

  Splits `amount` (money, the same value on every row of a partition) over the rows of each partition in proportion
  to `weight` (>= 0), exactly to the cent: every row gets the floor of its exact share in cents and the cents left
  over go one each to the rows with the largest remainders (ties broken by `tiebreak`, so the result is
  deterministic). The allocated amounts of a partition always sum to `amount`; a partition whose weights are all zero
  gets nothing (the caller books it to a residual line). Integer arithmetic on 128-bit integers: weights are scaled to
  integers at 6 decimals, amounts to cents. Returns every column of `relation` plus `allocated_amount`
  DECIMAL(18,2). On Spark (spark__allocate_cents) the same integers are DECIMAL(38, 0), exact there as long as a
  product |amount in cents| x weight units fits 38 digits (DuckDB's HUGEINT stops at 1.7 x 10^38).
-#}
{% macro allocate_cents(relation, amount, weight, partition_by, tiebreak) %}
    {{ return(adapter.dispatch('allocate_cents', 'crmwh')(relation, amount, weight, partition_by, tiebreak)) }}
{% endmacro %}

{% macro duckdb__allocate_cents(relation, amount, weight, partition_by, tiebreak) %}
    {%- set part = partition_by | join(', ') -%}
    {#- The partitions' weight totals by GROUP BY, each partition numbered (_part_id): the two window passes then
        partition on one integer instead of sorting the rows by every column of partition_by twice (scale 0.3,
        int_cost_allocation_account_monthly: bench/README.md, issue 12). -#}
    select
        with_bump.* exclude (
            _part_id, _amount_cents, _weight_units, _total_units, _floor_cents, _remainder, _leftover_cents, _rank
        ),
        cast(
            cast(sign(_amount_cents) * (_floor_cents + case when _total_units > 0 and _rank <= _leftover_cents then 1 else 0 end)
                 as decimal(38, 0)) * cast(0.01 as decimal(3, 2))
            as decimal(18, 2)
        ) as allocated_amount
    from (
        select
            with_floor.*,
            abs(_amount_cents) - sum(_floor_cents) over (partition by _part_id) as _leftover_cents,
            row_number() over (
                partition by _part_id order by _remainder desc, {{ tiebreak | join(', ') }}
            ) as _rank
        from (
            select
                with_units.*,
                case when _total_units > 0 then (abs(_amount_cents) * _weight_units) // _total_units else 0 end
                    as _floor_cents,
                case when _total_units > 0 then (abs(_amount_cents) * _weight_units) % _total_units else 0 end
                    as _remainder
            from (
                select
                    r.*,
                    parts._part_id,
                    cast(cast({{ amount }} as decimal(38, 2)) * 100 as hugeint) as _amount_cents,
                    cast(round(cast({{ weight }} as decimal(38, 6)) * 1000000) as hugeint) as _weight_units,
                    parts._total_units
                from {{ relation }} as r
                inner join (
                    select
                        {{ part }},
                        row_number() over () as _part_id,
                        {#- the sum of the rows' units (each the weight at 6 decimals x 10^6): the weights summed at 6
                            decimals, scaled once per partition rather than once per row -#}
                        cast(sum(cast({{ weight }} as decimal(38, 6))) * 1000000 as hugeint) as _total_units
                    from {{ relation }}
                    group by {{ part }}
                ) as parts
                    on {% for column in partition_by -%}
                    {{ 'and ' if not loop.first }}parts.{{ column }} is not distinct from r.{{ column }}
                    {% endfor %}
            ) as with_units
        ) as with_floor
    ) as with_bump
{% endmacro %}

{#-
  Spark: no HUGEINT and no `//`. The integers are DECIMAL(38, 0) (Spark adds, multiplies and takes remainders of
  them exactly), and the floor of a share is Spark's integral division `div`, exact and within BIGINT here because a
  share never exceeds the amount (DECIMAL(18, 2) in cents); the helper columns are dropped with `* except`.
-#}
{% macro spark__allocate_cents(relation, amount, weight, partition_by, tiebreak) %}
    {%- set part = partition_by | join(', ') -%}
    select
        with_bump.* except (
            _amount_cents, _weight_units, _total_units, _floor_cents, _remainder, _leftover_cents, _rank
        ),
        cast(
            cast(case when _amount_cents < 0 then -1 else 1 end
                 * (_floor_cents + case when _total_units > 0 and _rank <= _leftover_cents then 1 else 0 end)
                 as decimal(38, 0)) * cast(0.01 as decimal(3, 2))
            as decimal(18, 2)
        ) as allocated_amount
    from (
        select
            with_floor.*,
            abs(_amount_cents) - sum(_floor_cents) over (partition by {{ part }}) as _leftover_cents,
            row_number() over (
                partition by {{ part }} order by _remainder desc, {{ tiebreak | join(', ') }}
            ) as _rank
        from (
            select
                with_units.*,
                case when _total_units > 0
                    then cast((abs(_amount_cents) * _weight_units) div _total_units as decimal(38, 0)) else 0 end
                    as _floor_cents,
                case when _total_units > 0 then (abs(_amount_cents) * _weight_units) % _total_units else 0 end
                    as _remainder
            from (
                select
                    r.*,
                    cast(cast({{ amount }} as decimal(38, 2)) * 100 as decimal(38, 0)) as _amount_cents,
                    cast(round(cast({{ weight }} as decimal(38, 6)) * 1000000) as decimal(38, 0)) as _weight_units,
                    sum(cast(round(cast({{ weight }} as decimal(38, 6)) * 1000000) as decimal(38, 0)))
                        over (partition by {{ part }}) as _total_units
                from {{ relation }} as r
            ) as with_units
        ) as with_floor
    ) as with_bump
{% endmacro %}
