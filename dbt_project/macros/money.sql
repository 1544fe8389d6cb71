{#-
  Exact decimal arithmetic. DuckDB 2.0 turns DECIMAL / anything into DOUBLE, so no division of money goes through `/`.
  divide_round(n, d, scale) computes n / d rounded half away from zero to `scale` decimals and returns it as
  DECIMAL(38, scale); division by zero gives NULL. Two exact ways, chosen row by row:
  - 64-bit integers when both operands are typed with at most 2 decimals (money, counts, days) and are small enough
    that 2 * |n| * 100 * 10^scale fits (|n| < 10^(16 - scale), |d| < 10^12): the usual case, ~15x faster;
  - otherwise 128-bit integers: both operands scaled to integers at 12 decimals (exact for every DECIMAL in this
    warehouse: money has 2, rates 6, their products 8 or 12), for |n| < 0.85 x 10^(26 - scale) (2 |N| 10^scale fits
    HUGEINT): 10^19 and more, so a product of two branch totals divides too.
  Both round the integer quotient the same way: (2 |N| 10^scale + |D|) // (2 |D|), with the sign of n / d.
  Spark (spark__divide_round) computes the same integers in DECIMAL(38, 0), which Spark multiplies, adds and compares
  exactly; see there.
-#}
{% macro divide_round(numerator, denominator, scale=2) -%}
    {{ return(adapter.dispatch('divide_round', 'crmwh')(numerator, denominator, scale)) }}
{%- endmacro %}

{% macro duckdb__divide_round(numerator, denominator, scale=2) -%}
    {%- set unit = '1' ~ '0' * 12 -%}
    {%- set result_unit = '1' ~ '0' * scale -%}
    {%- set n12 = 'cast(' ~ numerator ~ ' as decimal(38, 12))' -%}
    {%- set d12 = 'cast(' ~ denominator ~ ' as decimal(38, 12))' -%}
    {#- the operands as whole numbers of 10^-12 in HUGEINT, the whole part and the fraction scaled apart: scaling the
        DECIMAL(38, 12) itself would stop at |n| >= 10^14, which a product of two branch totals passes -#}
    {%- set n_units = '(cast(trunc(' ~ n12 ~ ') as hugeint) * ' ~ unit ~ ' + cast((' ~ n12 ~ ' - trunc(' ~ n12 ~ ')) * '
                      ~ unit ~ ' as hugeint))' -%}
    {%- set d_units = '(cast(trunc(' ~ d12 ~ ') as hugeint) * ' ~ unit ~ ' + cast((' ~ d12 ~ ' - trunc(' ~ d12 ~ ')) * '
                      ~ unit ~ ' as hugeint))' -%}
    {%- set n2 = 'cast(' ~ numerator ~ ' as decimal(18, 2))' -%}
    {%- set d2 = 'cast(' ~ denominator ~ ' as decimal(18, 2))' -%}
    {%- set n_cents = 'cast(' ~ n2 ~ ' * 100 as bigint)' -%}
    {%- set d_cents = 'cast(' ~ d2 ~ ' * 100 as bigint)' -%}
    {#- the type of an operand is known when DuckDB plans the query, so this test costs nothing per row -#}
    {%- set at_most_two_decimals = "'(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DECIMAL\\(\\d+,[0-2]\\))'" -%}
    (
        case
        when {{ d12 }} = 0 then null
        {%- if scale <= 14 %}
        when regexp_full_match(typeof({{ numerator }}), {{ at_most_two_decimals }})
            and regexp_full_match(typeof({{ denominator }}), {{ at_most_two_decimals }})
            and abs({{ n12 }}) < 1{{ '0' * (16 - scale) }} and abs({{ d12 }}) < 1000000000000
        then cast(
            cast(
                sign({{ n_cents }}) * sign({{ d_cents }})
                * ((2 * abs({{ n_cents }}) * {{ result_unit }} + abs({{ d_cents }})) // (2 * abs({{ d_cents }})))
                as decimal(38, 0)
            ) * cast(1 / {{ result_unit }} as decimal(38, {{ scale }}))
            as decimal(38, {{ scale }})
        )
        {%- endif %}
        else
        cast(
            sign({{ n12 }}) * sign({{ d12 }})
            * (
                (
                    2 * abs({{ n_units }}) * {{ result_unit }}
                    + abs({{ d_units }})
                )
                // (2 * abs({{ d_units }}))
            )
            as decimal(38, 0)
        ) * cast(1 / {{ result_unit }} as decimal(38, {{ scale }}))
        end
    )
{%- endmacro %}

{#-
  Spark has no 128-bit integer and no `//`; its DECIMAL arithmetic is exact while a result fits 38 digits, except
  division, which rounds to a scale of Spark's choosing. So both operands are scaled to integers at 12 decimals in
  DECIMAL(38, 0) (n * 10^12 is typed DECIMAL(38, 6) by Spark's precision-loss rule, exact since it is a whole number,
  for |n| < 10^20), the quotient (2 |N| 10^scale + |D|) / (2 |D|) is floored after Spark's division and corrected by
  one when that division rounded up to the next integer (checked with an exact product), and the sign is applied by
  comparison (Spark's sign() is DOUBLE). Same integers as DuckDB's, so the same rounded DECIMAL(38, scale). Beyond
  DECIMAL(38) (|n| >= 10^20, or a quotient of 36 - scale digits) Spark gives NULL where DuckDB stops with an error;
  the not-null tests on the money columns catch it.
-#}
{% macro spark__divide_round(numerator, denominator, scale=2) -%}
    {%- set n_units = 'cast(cast(' ~ numerator ~ ' as decimal(38, 12)) * 1000000000000 as decimal(38, 0))' -%}
    {%- set d_units = 'cast(cast(' ~ denominator ~ ' as decimal(38, 12)) * 1000000000000 as decimal(38, 0))' -%}
    {%- set twice_n = '(2 * abs(' ~ n_units ~ ') * 1' ~ '0' * scale ~ ' + abs(' ~ d_units ~ '))' -%}
    {%- set twice_d = '(2 * abs(' ~ d_units ~ '))' -%}
    (
        case
        when {{ d_units }} = 0 then null
        else cast(
            cast(
                case when ({{ n_units }} < 0) <> ({{ d_units }} < 0) then -1 else 1 end
                * {{ spark_floor_quotient(twice_n, twice_d) }}
                as decimal({{ 36 - scale }}, 0)
            ) * cast({{ '1' if scale == 0 else '0.' ~ '0' * (scale - 1) ~ '1' }} as decimal({{ scale + 1 }}, {{ scale }}))
            as decimal(38, {{ scale }})
        )
        end
    )
{%- endmacro %}

{#-
  floor(a / b) for whole numbers a >= 0, b > 0 typed DECIMAL(38, 0), exact on Spark: Spark's division rounds half up
  at 6 decimals (DECIMAL(38, 0) / DECIMAL(38, 0) is DECIMAL(38, 6)), so its floor is the true floor or one more when
  the true quotient lies within half a millionth below the next integer; the exact product tells which.
-#}
{% macro spark_floor_quotient(a, b) -%}
    (floor({{ a }} / {{ b }}) - case when floor({{ a }} / {{ b }}) * {{ b }} > {{ a }} then 1 else 0 end)
{%- endmacro %}

{#- Money rounded to the cent (half away from zero), typed DECIMAL(18,2). -#}
{% macro round_money(expression) -%}
    cast(round(cast({{ expression }} as decimal(38, 12)), 2) as decimal(18, 2))
{%- endmacro %}

{#-
  An amount in its currency converted to CNY with a CNY-per-unit rate, rounded to the cent (half away from zero),
  typed DECIMAL(18,2). Computed in 64-bit integers, about 8x faster than the same product in DECIMAL(38) (whose
  rounding divides 128-bit integers): with the amount in cents A = A1 * 10^6 + A0 (A0 its last six digits, same sign)
  and the rate in millionths R, A * R / 10^6 = A1 * R + A0 * R / 10^6, and only the second term needs rounding.
  Exact for amounts up to 10^12 and rates up to 9,000 CNY per unit (the contracts' bounds); beyond them the BIGINT
  arithmetic overflows and stops the build with an error rather than round wrong. NULL when either is NULL.
-#}
{% macro to_cny(amount, cny_per_unit) -%}
    {{ return(adapter.dispatch('to_cny', 'crmwh')(amount, cny_per_unit)) }}
{%- endmacro %}

{% macro duckdb__to_cny(amount, cny_per_unit) -%}
    {%- set cents = '(cast(cast(' ~ amount ~ ' as decimal(18, 2)) * 100 as bigint))' -%}
    {%- set units = '(cast(cast(' ~ cny_per_unit ~ ' as decimal(18, 6)) * 1000000 as bigint))' -%}
    cast(
        cast(
            ({{ cents }} // 1000000) * {{ units }}
            + sign({{ cents }}) * sign({{ units }})
              * ((abs({{ cents }}) % 1000000) * abs({{ units }}) + 500000) // 1000000
            as decimal(18, 0)
        ) * cast(0.01 as decimal(3, 2))
        as decimal(18, 2)
    )
{%- endmacro %}

{#-
  Spark: the product of DECIMAL(18, 2) and DECIMAL(18, 6) is an exact DECIMAL(37, 8), and Spark's round() rounds half
  away from zero (Java's HALF_UP), so the DECIMAL product is both exact and fast enough there. Beyond DECIMAL(18, 2)
  the cast gives NULL where DuckDB stops with an error.
-#}
{% macro spark__to_cny(amount, cny_per_unit) -%}
    cast(round(cast({{ amount }} as decimal(18, 2)) * cast({{ cny_per_unit }} as decimal(18, 6)), 2) as decimal(18, 2))
{%- endmacro %}

{#- A ratio n / d as DECIMAL(18,6), exact and rounded half away from zero; NULL when d is 0. -#}
{% macro ratio(numerator, denominator, scale=6) -%}
    cast({{ divide_round(numerator, denominator, scale) }} as decimal(18, {{ scale }}))
{%- endmacro %}

{#-
  amount × rate × days / basis rounded to the cent (half away from zero), typed DECIMAL(18,2): interest-like charges
  on a balance (amount: money, rate: at most 6 decimals, days and basis: integers; basis > 0). The same value
  divide_round gives for that product, computed on DuckDB in 64-bit integers when it fits (|amount| < 10^8, |rate| < 1,
  0 <= days < 400: |cents × micro-rate × days| < 4 × 10^18), about 15x faster than divide_round's 128-bit way, which
  stays for the rows that do not fit.
  On Spark (no integer `//`) it is divide_round of the product, the amount typed as narrow as Spark needs to multiply
  exactly (amount_type).
-#}
{% macro money_rate_days(amount, rate, days, basis) -%}
    {{ return(adapter.dispatch('money_rate_days', 'crmwh')(amount, rate, days, basis)) }}
{%- endmacro %}

{% macro duckdb__money_rate_days(amount, rate, days, basis) -%}
    {%- set cents = 'cast(cast(' ~ amount ~ ' as decimal(18, 2)) * 100 as bigint)' -%}
    {%- set micro = 'cast(cast(' ~ rate ~ ' as decimal(18, 6)) * 1000000 as bigint)' -%}
    {%- set basis_micro = 'cast(' ~ basis ~ ' as bigint) * 1000000' -%}
    cast(
        case
        when abs({{ amount }}) < 100000000 and abs({{ rate }}) < 1 and {{ days }} >= 0 and {{ days }} < 400
            and {{ basis }} > 0
        then cast(
            sign({{ cents }}) * sign({{ micro }})
            * ((2 * abs({{ cents }}) * abs({{ micro }}) * {{ days }} + {{ basis_micro }}) // (2 * {{ basis_micro }}))
            as decimal(18, 0)
        ) * cast(0.01 as decimal(3, 2))
        else {{ divide_round('cast(' ~ amount ~ ' as decimal(38, 2)) * ' ~ rate ~ ' * ' ~ days, basis, 2) }}
        end
        as decimal(18, 2)
    )
{%- endmacro %}

{% macro default__money_rate_days(amount, rate, days, basis) -%}
    cast({{ divide_round('cast(' ~ amount ~ ' as ' ~ amount_type(20) ~ ') * ' ~ rate ~ ' * cast(' ~ days ~ ' as decimal(5, 0))',
                         basis, 2) }} as decimal(18, 2))
{%- endmacro %}

{#-
  The product of two rates in [0, 10) with at most 6 decimals (PD x LGD), exact; on Spark typed DECIMAL(13, 12): narrow
  enough that its product with an amount (DECIMAL(18, 2)) and a day count (DECIMAL(5, 0)) fits DECIMAL(38, 14). Spark
  multiplies DECIMALs exactly only while the result's precision fits 38 digits; past that it keeps 6 decimals
  (spark.sql.decimalOperations.allowPrecisionLoss), so wide operands (DECIMAL(38, 6)) would round the product there.
-#}
{% macro product_of_rates(rate_a, rate_b) -%}
    {{ return(adapter.dispatch('product_of_rates', 'crmwh')(rate_a, rate_b)) }}
{%- endmacro %}

{#- DuckDB keeps the wide product (DECIMAL(38, 12)): it multiplies DECIMAL(38) exactly, and a product narrowed to
    DECIMAL(13, 12) made DuckDB pick a 64-bit multiplication that overflowed. -#}
{% macro duckdb__product_of_rates(rate_a, rate_b) -%}
    (cast({{ rate_a }} as decimal(38, 6)) * {{ rate_b }})
{%- endmacro %}

{% macro spark__product_of_rates(rate_a, rate_b) -%}
    cast(cast({{ rate_a }} as decimal(18, 6)) * cast({{ rate_b }} as decimal(18, 6)) as decimal(13, 12))
{%- endmacro %}

{#-
  amount_type(precision): the type an amount is cast to before it is multiplied by a rate. Spark: DECIMAL(precision, 2),
  as narrow as the product needs to fit DECIMAL(38) (Spark multiplies exactly only then; past it keeps 6 decimals).
  DuckDB: DECIMAL(38, 2), as before: DuckDB multiplies DECIMAL(38) exactly, and narrower operands let it choose a
  64-bit multiplication that overflows on large amounts.
-#}
{% macro amount_type(precision) -%}
    {{ return(adapter.dispatch('amount_type', 'crmwh')(precision)) }}
{%- endmacro %}

{% macro duckdb__amount_type(precision) -%}
    decimal(38, 2)
{%- endmacro %}

{% macro spark__amount_type(precision) -%}
    decimal({{ precision }}, 2)
{%- endmacro %}
