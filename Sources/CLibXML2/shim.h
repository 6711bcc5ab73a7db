// Debian builds libxml2 with ICU; its headers then include ICU's, which clash with the ICU that
// Foundation bundles. Cognate never touches the encoding handlers whose layout ICU changes,
// so the headers are read without it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>

/// xmlFree is a global function pointer; Swift 6 calls it through this.
static inline void cognate_xml_free(void *pointer) { xmlFree(pointer); }
