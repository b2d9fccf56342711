// zod schemas of the network API's bodies and of a container create's NetworkingConfig.
import { z } from "zod";

const Str = z.string().max(1 << 10);
const StrMap = z.record(Str, Str).refine((r) => Object.keys(r).length <= 256, "too many entries");

export const endpointRequestSchema = z.looseObject({
  Aliases: z.array(Str).max(64).nullish(),
  Links: z.array(Str).max(64).nullish(),
  IPAMConfig: z.looseObject({ IPv4Address: Str.nullish() }).nullish(),
});

export const networkingConfigSchema = z.looseObject({
  EndpointsConfig: z.record(Str, endpointRequestSchema.nullish().transform((v) => v ?? {}))
    .refine((r) => Object.keys(r).length <= 64, "too many networks").nullish(),
});

export const networkCreateSchema = z.looseObject({
  Name: Str,
  CheckDuplicate: z.boolean().nullish(),
  Driver: Str.nullish(),
  Scope: Str.nullish(),
  Internal: z.boolean().nullish(),
  Attachable: z.boolean().nullish(),
  Ingress: z.boolean().nullish(),
  EnableIPv6: z.boolean().nullish(),
  ConfigOnly: z.boolean().nullish(),
  Labels: StrMap.nullish(),
  Options: StrMap.nullish(),
  IPAM: z.looseObject({
    Driver: Str.nullish(),
    Config: z.array(z.looseObject({
      Subnet: Str.nullish(),
      IPRange: Str.nullish(),
      Gateway: Str.nullish(),
      AuxiliaryAddresses: StrMap.nullish(),
    })).max(8).nullish(),
    Options: StrMap.nullish(),
  }).nullish(),
});

export const connectSchema = z.looseObject({
  Container: Str,
  EndpointConfig: endpointRequestSchema.nullish(),
});

export const disconnectSchema = z.looseObject({
  Container: Str,
  Force: z.boolean().nullish(),
});
