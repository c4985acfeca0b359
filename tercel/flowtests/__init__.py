"""Flow unit tests in Kestra's test file format: `tercel test`.

A test file names one flow (`namespace`, `flowId`) and holds `testCases`; each case has
`fixtures` (inputs, files, a trigger, tasks replaced by a given state and outputs) and
`assertions` (an expression and Kestra's operators). Each case runs as a transient execution
on its own in-memory runtime, where mocked tasks never run (`tercel.runtime.mocks`).

Modules: `model` (the file format), `loader` (YAML with positions, checks against flows),
`assertions` (the operators), `runner` (cases as executions), `report` (text, JSON, JUnit).
`docs/testing-flows.md` is the user's guide.
"""
