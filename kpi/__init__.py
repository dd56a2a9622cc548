"""KPI maths over the SQLite mirror (issue 5). Takes a database handle; never does HTTP."""
