-- Every file of every delivery attempt the loader recorded (audit.delivery_files), whatever its status, renamed.
with source as (
    select * from {{ source('audit', 'delivery_files') }}
),

renamed as (
    select
        batch_id,
        extract as extract_name,
        file_name,
        status as file_status
    from source
)

select * from renamed
