// What the TypeScript samples of docs/*.md take as given, so that each sample type-checks as it is
// printed: test/readme-samples.test.ts writes every ```ts block of the docs into this project.
declare const app: import('fastify').FastifyInstance
declare const appA: import('fastify').FastifyInstance
declare const appB: import('fastify').FastifyInstance
declare const realtime: typeof import('fastify-realtime')
declare const jwt: { secret: string }
declare const token: string
declare const id: string
declare const userId: string
declare const digest: { unread: number }
