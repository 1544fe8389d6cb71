{#-
  uplift_standard_error(sum_t, sumsq_t, n_t, sum_c, sumsq_c, n_c): the standard error of the difference of two
  means (target minus control) under the normal approximation, from each group's count, sum and sum of squares:
  sqrt(s_t² / n_t + s_c² / n_c), with s² the sample variance (Σx² − (Σx)² / n) / (n − 1). A rate is the mean of a
  0/1 outcome (its sum of squares is its sum). Computed in DOUBLE (a square root): callers round the interval bounds
  into DECIMAL; the uplift itself is exact (macro divide_round). NULL when a group has fewer than two members.
-#}
{% macro uplift_standard_error(sum_t, sumsq_t, n_t, sum_c, sumsq_c, n_c) -%}
    (
        case when ({{ n_t }}) >= 2 and ({{ n_c }}) >= 2 then sqrt(
            greatest(
                (cast({{ sumsq_t }} as double) - cast({{ sum_t }} as double) * cast({{ sum_t }} as double)
                    / cast({{ n_t }} as double)) / (cast({{ n_t }} as double) - 1), 0
            ) / cast({{ n_t }} as double)
            + greatest(
                (cast({{ sumsq_c }} as double) - cast({{ sum_c }} as double) * cast({{ sum_c }} as double)
                    / cast({{ n_c }} as double)) / (cast({{ n_c }} as double) - 1), 0
            ) / cast({{ n_c }} as double)
        ) end
    )
{%- endmacro %}
