/* wh_xml -- XML text escaping for the harness's JUnit and SVG output. */
#ifndef WH_XML_H
#define WH_XML_H

#include <stdio.h>

/* Writes s (NULL: nothing) with & < > " ' escaped; control characters other than tab, newline and
 * carriage return, which XML 1.0 cannot hold, become spaces. */
void wh_xml_text(FILE *f, const char *s);

#endif
