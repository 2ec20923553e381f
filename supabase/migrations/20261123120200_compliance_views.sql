-- Compliance adopts the core's filter documents and saved views: contracts are queried, counted
-- and saved as views of kind compliance.contract. Tables: none. Permissions: none.

-- Tables
select private.enable_views('compliance.contracts', 'compliance.contract');
