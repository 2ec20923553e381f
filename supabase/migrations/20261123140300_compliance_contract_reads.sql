-- Compliance: contracts are read in the generator's form (private.scope_predicate, 20261123140100):
-- the caller's organizations from their stored set as an index condition, then the scope — rows of
-- organizations where they hold compliance.contracts.read at org scope at once; department scope by
-- the contract's department (or one below theirs); own scope by the owner or an assignment. The same
-- rows as before (tests/db/compliance_contracts.test.sql and the isolation matrix say so); "contracts
-- of all my organizations" no longer filters the whole table through a hashed subplan.
-- Tables: none new. Permissions: none.

do $$
begin
  execute format('alter policy %I on compliance.contracts using (%s)',
    'Holders of compliance.contracts.read read contracts in scope',
    private.scope_predicate('compliance.contracts.read', 'org_id', 'department_id', 'owner_id',
      'id in (select private.compliance_assigned_contract_ids())'));
end
$$;
