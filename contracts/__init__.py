"""The extract contracts: what each source system delivers, as data (``<system>/<extract>.yaml``), and the code that
reads them (``contract``), reads and writes control files (``control``), writes extracts per contract (``writer``),
renders the human-readable specification (``spec``) and derives the dbt sources and code-value seed (``dbt_sources``).

Everything that touches an extract's layout (the loader, the synthetic bank, expectations, dbt, the bench) reads it
from here; nothing here imports the loader.
"""
