"""Tercel's components as separate processes on one PostgreSQL database.

`tercel server executor|worker|scheduler|webserver|standalone` build on the single-process
runtime (`tercel.runtime`): executors own executions through advisory locks and read their
events from the database, workers claim task jobs, schedulers and webservers only write
executions and events. `docs/deploy.md` describes how to run them.
"""
