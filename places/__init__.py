"""Where people live and how they get to a course: municipalities, course sites, the region's
GTFS timetable and the reachability between them (pure earliest-arrival search, results stored)."""
