-- Feature drift of the churn model (特征漂移): the population stability index of each feature in the scored month
-- against the training months; above parameter churn_feature_drift_psi the feature is flagged and the data-quality
-- dashboard warns (the model may need retraining).
with drift as (
    select * from {{ ref('base_scoring__feature_drift') }}
)

select month_start, feature, psi, threshold, is_drifted, model_version from drift
