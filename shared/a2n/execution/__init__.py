"""The execution core: starting executions, the step protocol, settling outcomes under the execution
lock, and what follows from them (children, parents, error workflows, sweeps).

Modules depend on each other in one direction only (a test reads their imports and fails on a cycle):

    clock, compiled, outbox, rows  →  timers  →  settle  →  start  →  links  →  control, steps, sweeps

`settle` and `start` never start or finish another execution themselves: they return `Effects`
(outbox messages to publish after commit, and follow-up requests), and `links.carry_out` performs
the follow-ups in the same transaction. Nothing is imported here, so importing one module of the
package does not load the others (cold start).
"""
