// libxml2 and xmlsec1 (its OpenSSL back end), for reading and checking SAML.
// Debian builds libxml2 with ICU; its headers then include ICU's, which clash with the ICU that
// Foundation bundles. Cognate never touches the encoding handlers whose layout ICU changes,
// so the headers are read without it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
// SwiftPM passes pkg-config's include paths but not its -D flags, and these change xmlsec's
// types and struct layouts (xmlSecSize is an unsigned int in Debian's build): they are
// declared here as `pkg-config --cflags xmlsec1-openssl` gives them.
#ifndef XMLSEC_NO_SIZE_T
#define XMLSEC_NO_SIZE_T 1
#endif
#ifndef XMLSEC_CRYPTO_OPENSSL
#define XMLSEC_CRYPTO_OPENSSL 1
#endif
#ifndef XMLSEC_NO_GOST
#define XMLSEC_NO_GOST 1
#endif
#ifndef XMLSEC_NO_GOST2012
#define XMLSEC_NO_GOST2012 1
#endif
#ifndef XMLSEC_NO_CRYPTO_DYNAMIC_LOADING
#define XMLSEC_NO_CRYPTO_DYNAMIC_LOADING 1
#endif
#ifndef XMLSEC_OPENSSL3_ENGINES
#define XMLSEC_OPENSSL3_ENGINES 1
#endif
#ifndef __XMLSEC_FUNCTION__
#define __XMLSEC_FUNCTION__ __func__
#endif
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysdata.h>
#include <xmlsec/transforms.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>

/// xmlFree is a global function pointer; Swift 6 calls it through this.
static inline void cognate_xml_free(void *pointer) { xmlFree(pointer); }
