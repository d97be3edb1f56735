'use strict'
// The event names at run time; their payloads are typed in event-map.d.ts.
module.exports = Object.freeze({
  PROJECT_UPDATED: /** @type {const} */ ('project:updated'),
  ORG_ANNOUNCEMENT: /** @type {const} */ ('org:announcement'),
  PROJECT_RENAME: /** @type {const} */ ('project:rename')
})
