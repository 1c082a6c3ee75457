"""The fixed vocabularies of groups: audiences, communities, topics, formats and venue
accessibility. Codes are stable (feeds and the API use them); labels are translated."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    ADULTS = "adults", _("Adults")
    YOUTH = "youth", _("Youth and young adults")
    FAMILIES = "families", _("Families and loved ones")
    COMMUNITY = "community", _("A community")


class Community(models.TextChoices):
    VETERANS = "veterans", _("Veterans and military families")
    LGBTQ = "lgbtq", _("LGBTQ+ people")
    WOMEN = "women", _("Women")
    MEN = "men", _("Men")
    BIPOC = "bipoc", _("Black, Indigenous and people of colour")
    OLDER_ADULTS = "older_adults", _("Older adults")
    PARENTS = "parents", _("Parents and caregivers")
    DEAF = "deaf", _("Deaf and hard of hearing people")


class Topic(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental health and wellbeing")
    SUBSTANCE_USE = "substance_use", _("Recovery from substance use")
    ALCOHOL = "alcohol", _("Recovery from alcohol use")
    DUAL_RECOVERY = "dual_recovery", _("Dual recovery (mental health and substance use)")
    DEPRESSION = "depression", _("Living with depression")
    ANXIETY = "anxiety", _("Living with anxiety")
    BIPOLAR = "bipolar", _("Living with bipolar disorder")
    PSYCHOSIS = "psychosis", _("Hearing voices and psychosis")
    TRAUMA = "trauma", _("Healing from trauma")
    GRIEF = "grief", _("Grief and loss")
    SUICIDE_LOSS = "suicide_loss", _("Loss to suicide")
    EATING = "eating", _("Eating disorders")
    FAMILY = "family", _("Supporting a loved one")
    WELLNESS = "wellness", _("Wellness and recovery planning")
    EMPLOYMENT = "employment", _("Work and education")


class GroupFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online (video)")
    HYBRID = "hybrid", _("In person and online")
    PHONE = "phone", _("By phone")


class Joining(models.TextChoices):
    DROP_IN = "drop_in", _("Drop in, no need to register")
    REGISTRATION = "registration", _("Register first")


class Accessibility(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Wheelchair accessible")
    STEP_FREE = "step_free", _("Step-free entrance")
    RESTROOM = "restroom", _("Accessible restroom")
    ASL = "asl", _("ASL interpretation")
    CAPTIONS = "captions", _("Live captions (online)")
    HEARING_LOOP = "hearing_loop", _("Hearing loop")
    QUIET = "quiet", _("Quiet space available")
    SCENT_FREE = "scent_free", _("Scent-free")
    CHILDCARE = "childcare", _("Childcare available")
    PARKING = "parking", _("Parking")
    TRANSIT = "transit", _("Near public transit")
