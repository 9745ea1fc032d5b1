"""The key figures of the reference process, each defined once with its German definition text
(`figures.definitions`), read set-based from the database (`figures.reads`) and drawn as
server-side SVG charts (`figures.charts`); the dashboard, the agendas and the conference report
all show these and no figure of their own."""
