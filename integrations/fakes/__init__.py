"""Local fakes of the trackers' and Slack's HTTP APIs (real HTTP on 127.0.0.1), for the tests,
the benchmark and `make run`. Each speaks the documented protocol closely enough that our
clients cannot tell, stores what it is sent, and can be told to fail in the ways real
services do (answer 429/500, time out or drop the connection after doing the work)."""
