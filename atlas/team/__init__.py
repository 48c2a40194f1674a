"""The shared, signed-in atlas for a team (issue 23).

``settings``  service settings from a TOML file and ``GEO_*`` environment variables; checks of the
              sign-in secrets file (one-line errors naming the file)
``roles``     viewer / analyst / admin, what each may do, and who gets which (ID-token claim or allow-list)
``audit``     the audit log: JSON lines, rotated, safe fields only
``signin``    the Streamlit side: sign-in page, the signed-in person, server-side role checks, audit calls
``serve``     ``make serve``: N Streamlit replicas on loopback ports behind Caddy, with a supervisor

Only ``signin`` imports streamlit; the others are plain Python (tested without a server).
"""
