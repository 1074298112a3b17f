"""The report's tables drawn for people: one table model (tables.py) and its renderers
(CSV, Excel workbook, printable HTML). Pure: every function takes the report dict and returns
bytes or text; nothing here reads files, the network or the clock."""
