"""Tenants and access control: who may do what, in which tenant and namespace.

`permissions` (resources × actions, built-in roles), `records` (tenants, users, groups,
service accounts, tokens, bindings, audit entries), `principal` (the caller and the
decision), `passwords` and `tokens` (hashing), `throttle` (login attempts).
`tercel.store.sql.access` stores them; `tercel.api.access` enforces them on every route;
`docs/access.md` explains the model.
"""
