// The route modules `engine containerd` serves, besides events and version.
import type { RouteModule } from "../server.ts";

export const ROUTE_MODULES: RouteModule[] = [];
