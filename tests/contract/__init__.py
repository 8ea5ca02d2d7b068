"""The contract suite: checks a running generated API against /work/shared/CONTRACT.md over real HTTP."""

from contract.suite import ContractReport, run_contract

__all__ = ["ContractReport", "run_contract"]
