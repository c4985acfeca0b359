"""Flows as code: a Git folder of flows, namespaces, files and environments, planned and
applied to a server (architecture §4.5, docs/flows-as-code.md).

    folder = load_folder(Path("infra"))              # every problem at path:line:col
    desired = folder.desired(folder.environment("prod"))
"""
