"""Expands an iCal feed with the third-party `icalendar` + `recurring-ical-events` libraries
and prints every occurrence in a window as JSON, for the events tests to compare with ours.

usage: python ical_oracle.py FEED.ics START END   (ISO 8601 instants with offsets)
"""
import datetime
import json
import sys

import icalendar
import recurring_ical_events


def utc(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise SystemExit(f"floating time in feed: {value}")
        return value.astimezone(datetime.timezone.utc).isoformat()
    return value.isoformat()


def main():
    with open(sys.argv[1], "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    start = datetime.datetime.fromisoformat(sys.argv[2])
    end = datetime.datetime.fromisoformat(sys.argv[3])
    out = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        out.append(
            {
                "uid": str(event["UID"]),
                "start": utc(event["DTSTART"].dt),
                "end": utc(event["DTEND"].dt) if "DTEND" in event else None,
                "summary": str(event.get("SUMMARY", "")),
                "status": str(event.get("STATUS", "")),
                "description": str(event.get("DESCRIPTION", "")),
                "location": str(event.get("LOCATION", "")),
                "sequence": int(event.get("SEQUENCE", 0)),
            }
        )
    out.sort(key=lambda e: (e["start"], e["summary"]))
    json.dump(
        {
            "calname": str(calendar.get("X-WR-CALNAME", "")),
            "timezones": [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")],
            "occurrences": out,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
