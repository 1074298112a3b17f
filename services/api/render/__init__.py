"""The report's tables drawn for people: one table model (model.py), the layouts of the annual
and period report (tables.py) and of the weekly/monthly brief (brief_tables.py), and their
renderers (CSV, Excel workbook, printable HTML: html.py and brief_page.py, charts.py). Pure: every
function takes the document dict and returns bytes or text; nothing here reads files, the network
or the clock."""
