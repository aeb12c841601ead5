"""A person's languages: the interface's (else the browser's, else English) and the one their
tickets are written in (else the interface's). The footer's switcher and the settings page
write them; the middleware applies the interface language to each of their requests."""
