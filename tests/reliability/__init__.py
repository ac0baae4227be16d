"""Reliability suites: faults, crashes and several processes on one store; nothing lost, nothing doubled."""
