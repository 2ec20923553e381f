-- Compliance adopts the core's imports and exports: contracts are imported from CSV (a line whose
-- reference exists in the organization is a duplicate) and exported as CSV, JSON or XLSX, through
-- the imports and exports functions. Tables: none. Permissions: none (contracts' own decide).

-- Tables
select private.enable_import('compliance.contracts', '[["reference"]]');
