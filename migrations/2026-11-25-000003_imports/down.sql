DROP TABLE import_staging_accounts, import_mappings, import_rows, imports;
