"""The follow-up desk (issue 14 item 3): the work queue of callbacks, read by the web pages and the API."""
