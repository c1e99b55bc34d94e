/* Helpers shared by the API handlers. */
#include "server/api.h"

json_t *api_items(json_t *v)
{
    if (!v)
        return json_pack("{s:[]}", "items");
    if (json_is_array(v))
        return json_pack("{s:o}", "items", v);
    return v;
}
